"""Reporting on the tour: where each municipality and province stands (derived from the bookings),
the coordinators' dashboard with what needs action, and the ministry's quarterly and yearly report."""
