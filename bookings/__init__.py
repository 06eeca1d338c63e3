"""Bookings: the tour's catalogue, clerks' bookings of the three stages, and their life cycle."""
