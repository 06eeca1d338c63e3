"""Feedback: participants' anonymous forms after a session, and the reports built from them."""
