"""What the bundle needs from the system, checked against the .deb's Depends.

    python3 check_linkage.py glibc BUNDLE_DIR
        print the newest GLIBC_x.y symbol version any ELF file in the bundle needs
        (packaging/build turns it into `libc6 (>= x.y)`)

    python3 check_linkage.py check BUNDLE_DIR "DEPENDS FIELD"
        run ldd on every ELF file in the bundle, as the bundle's launcher would load it
        (LD_LIBRARY_PATH=BUNDLE_DIR/_internal, which PyInstaller's bootloader sets); fail if
        a library is not found, or if a library from outside the bundle belongs to a
        Debian package that is neither in DEPENDS nor pulled in by it (apt-cache depends
        --recurse), i.e. a library that a machine installing the .deb might not have.

Standard library only: it runs with the system's python3 (packaging/smoke-test).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def elf_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as f:
                if f.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def glibc_needed(root: Path) -> str:
    newest = (0,)
    for path in elf_files(root):
        out = subprocess.run(
            ["readelf", "-V", "--wide", str(path)], capture_output=True, text=True
        ).stdout
        for version in re.findall(r"Name: GLIBC_([0-9.]+)", out):
            newest = max(newest, tuple(int(p) for p in version.split(".")))
    return ".".join(str(p) for p in newest)


def ldd(path: Path, lib_dir: Path) -> dict[str, str | None]:
    """soname -> resolved path (None: not found)."""
    env = {**os.environ, "LD_LIBRARY_PATH": str(lib_dir)}
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env).stdout
    result: dict[str, str | None] = {}
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"(\S+) => (not found|(\S+) \(0x[0-9a-f]+\))", line)
        if m:
            result[m.group(1)] = None if m.group(2) == "not found" else m.group(3)
        elif m := re.match(r"(/\S+) \(0x[0-9a-f]+\)", line):  # the dynamic loader
            result[os.path.basename(m.group(1))] = m.group(1)
    return result


def owning_package(path: str) -> str | None:
    candidates = [path, os.path.realpath(path)]
    for p in list(candidates):  # merged /usr: dpkg may know the file under either name
        if p.startswith("/usr/lib/"):
            candidates.append(p[len("/usr") :])
        elif p.startswith("/lib"):
            candidates.append("/usr" + p)
    for candidate in candidates:
        out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def depends_closure(depends_field: str) -> set[str]:
    names = []
    for alternatives in depends_field.split(","):
        for alt in alternatives.split("|"):
            name = re.sub(r"\(.*?\)", "", alt).strip()
            if name:
                names.append(name)
    skip = ("recommends", "suggests", "conflicts", "breaks", "replaces", "enhances")
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", *(f"--no-{kind}" for kind in skip), *names],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    closure = set(names)
    for line in out.splitlines():
        if line and not line[0].isspace():
            closure.add(line.strip().strip("<>").split(":", 1)[0])
        elif m := re.match(r"\s+\|?(?:Pre)?Depends: <?([^>\s:]+)", line):
            closure.add(m.group(1))
    return closure


def check(root: Path, depends_field: str) -> int:
    lib_dir = root / "_internal"
    files = elf_files(root)
    missing: dict[str, list[str]] = {}
    external: dict[str, set[str]] = {}  # system library path -> bundled files needing it
    for path in files:
        for soname, resolved in ldd(path, lib_dir).items():
            rel = str(path.relative_to(root))
            if resolved is None:
                missing.setdefault(soname, []).append(rel)
            elif not os.path.realpath(resolved).startswith(str(root.resolve()) + os.sep):
                external.setdefault(resolved, set()).add(rel)
    closure = depends_closure(depends_field)
    packages: dict[str, set[str]] = {}
    uncovered: list[str] = []
    for lib in sorted(external):
        package = owning_package(lib)
        if package is None:
            uncovered.append(f"{lib} (no Debian package owns it)")
            continue
        packages.setdefault(package, set()).add(os.path.basename(lib))
        if package not in closure:
            uncovered.append(f"{lib} from {package}, needed by {sorted(external[lib])[0]}")
    print(
        f"{len(files)} ELF files; {len(external)} system libraries from "
        f"{len(packages)} packages: {', '.join(sorted(packages))}"
    )
    ok = True
    for soname, users in sorted(missing.items()):
        print(f"NOT FOUND: {soname}, needed by {', '.join(users[:3])}", file=sys.stderr)
        ok = False
    for line in uncovered:
        print(f"NOT IN DEPENDS: {line}", file=sys.stderr)
        ok = False
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "glibc":
        print(glibc_needed(Path(argv[1])))
        return 0
    if len(argv) == 3 and argv[0] == "check":
        return check(Path(argv[1]), argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
