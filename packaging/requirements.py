"""Print what the build venv installs, from pyproject.toml: the runtime dependencies and the
`package` extra (PyInstaller); or, with --version, the project's version.

    python packaging/requirements.py > build/pkg-requirements.txt
    python packaging/requirements.py --version

Used by packaging/build (Linux), packaging/windows/build.ps1 and packaging/macos/build.sh,
so that every platform builds from the same list: no test tools, no project install.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def main(argv: list[str]) -> int:
    with PYPROJECT.open("rb") as f:
        project = tomllib.load(f)["project"]
    if argv == ["--version"]:
        print(project["version"])
    elif not argv:
        print("\n".join(project["dependencies"] + project["optional-dependencies"]["package"]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
