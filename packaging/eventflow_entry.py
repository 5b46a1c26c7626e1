"""Entry point of the frozen bundle: the same as the ``eventflow`` console script."""

import multiprocessing
import sys

if __name__ == "__main__":
    # The event log's writer runs in a child process; in a frozen bundle the child is
    # this executable again, and freeze_support turns that run into the child (before
    # the app's own imports, which the child does not need).
    multiprocessing.freeze_support()

    from monitor.cli import main

    sys.exit(main())
