"""Entry point of the frozen bundle: the same as the ``eventflow`` console script."""

import sys

from monitor.cli import main

if __name__ == "__main__":
    sys.exit(main())
