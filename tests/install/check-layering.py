#!/usr/bin/env python3
"""The layering, as includes show it: fails on any include that crosses a layer the wrong way.

1. tools/, control/, fio-plugin/ and server/ use only the public API: they include
   ringline.h and ringline/*.h (include/), their own folder's headers, the headers of another
   of these folders (control/ is a library on the public API that tools/ uses), and system or
   other packages' headers; never a header of engine/, backends/ or a backend (nvme/, directio/, nop/), nor
   another folder's private header (a name with "internal" or "private"), however it is
   spelled ("../engine/x.h", "engine/x.h", or "x.h" found through an include directory).
2. engine/ knows no backend: it includes no header of nvme/, directio/, nop/ or backends/.
3. A backend (nvme/, directio/, nop/, and the registry in backends/) sees of the engine only
   engine/backend.h, and no other backend's headers.

Usage: tests/install/check-layering.py SOURCE_DIR
"""
import os
import re
import sys

API_USERS = ["tools", "control", "fio-plugin", "server"]
BACKENDS = ["nvme", "directio", "nop", "backends"]
PRIVATE = ["engine"] + BACKENDS
BACKEND_API = "engine/backend.h"
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def sources(root, folder):
    """The C sources and headers under root/folder, as paths relative to root."""
    for dirpath, _, names in os.walk(os.path.join(root, folder)):
        for name in sorted(names):
            if name.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(dirpath, name), root)


def includes(root, path):
    """(line number, the name included) for each #include of root/path."""
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                yield n, m.group(2)


def resolve(root, path, name):
    """The project file (relative to root) that `#include name` in path names, or None for a
    header from outside the project. Looks beside the including file, then from the root
    ("engine/internal.h"), then in include/, then in each source folder, as an include
    directory of the build could make it found ("internal.h" with -Iengine)."""
    here = os.path.dirname(path)
    candidates = [os.path.join(here, name), name, os.path.join("include", name)]
    candidates += [os.path.join(d, name) for d in PRIVATE + API_USERS]
    for c in candidates:
        c = os.path.normpath(c)
        if not c.startswith("..") and os.path.isfile(os.path.join(root, c)):
            return c
    return None


def top(path):
    return path.split(os.sep, 1)[0]


def found(target, name):
    """Where an include was found, when its spelling does not say it."""
    return f" ({target})" if target and target != os.path.normpath(name) else ""


def names_folder(name, folders):
    """Whether an include spells out one of folders ("engine/x.h", "../nvme/x.h"), found or not."""
    return any(d in folders for d in name.split("/")[:-1])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check-layering.py SOURCE_DIR")
    root = sys.argv[1]
    bad = []
    for folder in API_USERS:
        for path in sources(root, folder):
            for n, name in includes(root, path):
                target = resolve(root, path, name)
                if (target and top(target) in PRIVATE) or names_folder(name, PRIVATE):
                    bad.append(f"{path}:{n}: includes {name}{found(target, name)}: {folder}/ uses "
                               "only the public API (include/ringline.h, include/ringline/*.h)")
                elif re.search(r"internal|private", os.path.basename(name)) and \
                        not (target and top(target) == folder):
                    bad.append(f"{path}:{n}: includes {name}{found(target, name)}, another "
                               f"folder's private header: {folder}/ uses only the public API")
    for path in sources(root, "engine"):
        for n, name in includes(root, path):
            target = resolve(root, path, name)
            if (target and top(target) in BACKENDS) or names_folder(name, BACKENDS):
                bad.append(f"{path}:{n}: includes {name}{found(target, name)}: engine/ knows no "
                           "backend; a backend fills the engine's ops table instead")
    for folder in BACKENDS:
        for path in sources(root, folder):
            for n, name in includes(root, path):
                target = resolve(root, path, name)
                if target:
                    engine = target if top(target) == "engine" else None
                else:
                    engine = name if names_folder(name, ["engine"]) else None
                if engine and not engine.endswith(BACKEND_API):
                    bad.append(f"{path}:{n}: includes {name}{found(target, name)}: a backend "
                               f"sees of the engine only {BACKEND_API}")
                elif target and top(target) in BACKENDS and top(target) != folder:
                    bad.append(f"{path}:{n}: includes {name}{found(target, name)}: {folder}/ "
                               "includes no other backend's header")
    for b in bad:
        print("FAIL:", b)
    if bad:
        return 1
    print(f"ok: {', '.join(f + '/' for f in API_USERS)} include no private header; "
          "engine/ includes no header of " + ", ".join(f + "/" for f in BACKENDS) +
          f"; backends see of the engine only {BACKEND_API}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
