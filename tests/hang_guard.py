"""One limit for waiting on something that is bound to happen (a process starting or stopping, a page
answering): far above what a loaded machine needs, so that reaching it means a hang, never slowness."""

HANG_GUARD_SECONDS = 120
