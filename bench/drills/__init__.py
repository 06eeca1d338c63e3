"""Failure drills (`make drills`): what happens to Weerbaar when its database restarts under load and
when its processes are killed with SIGKILL mid-way. Each drill runs real `weerbaar serve` and
`weerbaar worker` processes against a private PostgreSQL cluster on a free port (never the shared
server), then checks the invariants in the database and prints PASS or FAIL with its figures."""
