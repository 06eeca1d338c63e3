"""Weerbaar's foundation: settings, database, accounts and login, mail outbox, pages and CLI.

Nothing in here knows a domain (bookings, feedback, invoicing); only `server.app` and `server.cli`
import the domains to mount their routes and commands.
"""
