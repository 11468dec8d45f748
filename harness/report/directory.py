"""The report directory: only files the harness wrote are ever replaced, and the swap is atomic.

Every report carries a manifest (`MANIFEST`) naming each file it wrote with its SHA-256. A `--out` that holds
anything else -- a file the manifest does not list, a listed file changed since, or no manifest at all in a
non-empty folder -- is refused before any work starts.

A new report is rendered into a hidden sibling (`.<out>.new-XXXXXXXX`): manifest first, then the files. It then
takes the place of `--out` in one step: a rename when `--out` does not exist or is empty, else an atomic exchange
of the two directories (Linux `renameat2(RENAME_EXCHANGE)`, macOS `renamex_np(RENAME_SWAP)`). Whatever instant the
process dies, `--out` holds the old complete report or the new complete one. The sibling left behind (the staging
folder, or the old report after the exchange) is removed by the next write, deleting only what its manifest lists.
Where no atomic exchange exists, the old report is moved aside first (`.<out>.old-XXXXXXXX`) and the next write
puts it back if the process died in between.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import UserError
from harness.report.cucumber import render_cucumber
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.report.readiness import InstallRow, assess
from harness.report.results import Results, dumps

FILES = ("index.html", "report.md", "results.json", "junit.xml", "cucumber.json")
MANIFEST = "miaw-report.manifest.json"
MANIFEST_SCHEMA = "miaw-harness/report-manifest@1"
_PART = MANIFEST + ".part"  # the manifest while it is being written
_RENAME_EXCHANGE = 2  # linux/fs.h
_RENAME_SWAP = 2  # macOS sys/stdio.h
_AT_FDCWD = -100


def render_files(
    results: Results, install_base: Sequence[InstallRow] | None = None, fail_on: str = "blocked"
) -> dict[str, str]:
    """The text of every report file, by file name."""
    readiness = assess(results, install_base)
    return {
        "index.html": render_html(results, readiness),
        "report.md": render_markdown(results, readiness),
        "results.json": dumps(results),
        "junit.xml": render_junit(results, fail_on),
        "cucumber.json": render_cucumber(results, fail_on),
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(directory: Path) -> dict[str, str] | None:
    """The files a report folder's manifest lists (relative path -> SHA-256); None without a readable manifest."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != MANIFEST_SCHEMA or not isinstance(data.get("files"), dict):
        return None
    files = data["files"]
    if not all(isinstance(k, str) and isinstance(v, str) and _safe_name(k) for k, v in files.items()):
        return None
    return dict(files)


def _safe_name(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts and name not in (MANIFEST, _PART)


def _entries(directory: Path) -> list[str]:
    """Every entry under `directory` as a POSIX path relative to it; folders end with "/"."""
    found: list[str] = []
    for root, dirs, files in os.walk(directory):
        base = Path(root)
        for name in dirs:
            link = (base / name).is_symlink()
            found.append((base / name).relative_to(directory).as_posix() + ("" if link else "/"))
        for name in files:
            found.append((base / name).relative_to(directory).as_posix())
    return sorted(found)


def check_out_dir(out: Path) -> None:
    """Refuse, before any work, an `--out` the harness may not replace: one line naming what is in the way."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a directory")
    here = Path.cwd().resolve()
    if out == here or out in here.parents:
        raise UserError(f"--out {out} is the current directory or holds it; pick a folder of its own")
    if not out.is_dir():
        ancestor = out.parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise UserError(f"--out {out} cannot be created: {ancestor} is a file")
        return
    entries = [e for e in _entries(out) if e != MANIFEST]
    manifest = read_manifest(out)
    if manifest is None:
        if entries or (out / MANIFEST).exists():
            raise UserError(
                f"--out {out} is not a miaw-harness report: it holds {entries[0] if entries else MANIFEST} and no "
                f"report manifest; pick an empty or new folder"
            )
        return
    folders = {parent.as_posix() + "/" for name in manifest for parent in Path(name).parents if parent != Path(".")}
    for entry in entries:
        if entry in folders and not (out / entry).is_symlink():
            continue
        if entry not in manifest or (out / entry).is_symlink():
            raise UserError(
                f"--out {out} holds {entry}, which the harness did not write; move it or pick another folder"
            )
        if _file_sha256(out / entry) != manifest[entry]:
            raise UserError(
                f"--out {out}: {entry} was changed since the harness wrote it; move it or pick another folder"
            )


@dataclass
class Staging:
    """A hidden sibling of `out` reserved before the suite runs; `commit` renders into it and swaps it in."""

    out: Path
    path: Path
    created: list[Path] = field(default_factory=list)  # parent folders made for `out`, innermost first
    _fd: int | None = None

    def commit(self, files: Mapping[str, str]) -> Path:
        """Write `files` (name -> text) with their manifest, then put them in place of `out` in one step."""
        encoded = {name: text.encode("utf-8") for name, text in files.items()}
        for name in encoded:
            if not _safe_name(name):
                raise ValueError(f"not a report file name: {name!r}")
        manifest = {"schema": MANIFEST_SCHEMA, "files": {name: _sha256(data) for name, data in encoded.items()}}
        (self.path / _PART).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(self.path / _PART, self.path / MANIFEST)  # manifest first: a leftover lists all it may hold
        for name, data in encoded.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.chmod(self.path, 0o755)
        check_out_dir(self.out)  # nothing of the user's appeared while the suite ran
        retired = _swap(self.path, self.out)
        self.created.clear()
        if retired is not None:
            _remove_report(retired)
        self._unlock()
        return self.out

    def discard(self) -> None:
        """Remove the staging folder and any parent folder made for `out` (nothing was written)."""
        _remove_report(self.path)
        self._unlock()
        for folder in self.created:
            try:
                folder.rmdir()
            except OSError:
                break
        self.created.clear()

    def _unlock(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def prepare(out: Path) -> Staging:
    """Check `out`, clean what an interrupted earlier write left, and reserve the staging folder: every problem
    with `--out` (not ours, not writable) is found here, before the suite runs."""
    out = out.resolve()
    check_out_dir(out)
    created: list[Path] = []
    try:
        missing = [p for p in (out.parent, *out.parent.parents) if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            created.insert(0, folder)
        recover(out)
        path = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    except OSError as exc:
        for folder in created:
            try:
                folder.rmdir()
            except OSError:
                break
        raise UserError(f"--out {out} cannot be written: {exc.strerror or exc}") from None
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a live write's staging folder is never taken for a leftover
    return Staging(out, path, created, fd)


def write_report(
    results: Results, out: Path, install_base: Sequence[InstallRow] | None = None, fail_on: str = "blocked"
) -> Path:
    """Render every report file and swap them in place of `out`: `out` is either the old report or the new one."""
    staging = prepare(out)
    try:
        return staging.commit(render_files(results, install_base, fail_on))
    except BaseException:
        staging.discard()
        raise


def leftovers(out: Path) -> list[Path]:
    """Hidden siblings of `out` that an interrupted write left (staging folders and retired reports)."""
    if not out.parent.is_dir():
        return []
    names = (f".{out.name}.new-", f".{out.name}.old-")
    return sorted(p for p in out.parent.iterdir() if p.name.startswith(names) and p.is_dir() and not p.is_symlink())


def recover(out: Path) -> None:
    """Finish what an interrupted write left: put back a report moved aside, remove the siblings no run holds."""
    for path in leftovers(out):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # a write in progress in another process
        try:
            if not out.exists() and path.name.startswith(f".{out.name}.old-") and _complete(path):
                os.rename(path, out)  # the process died between moving the old report aside and the swap
            else:
                _remove_report(path)
        finally:
            os.close(fd)


def _complete(path: Path) -> bool:
    manifest = read_manifest(path)
    if manifest is None:
        return False
    try:
        return all(_file_sha256(path / name) == digest for name, digest in manifest.items())
    except OSError:
        return False


def _remove_report(path: Path) -> None:
    """Delete what the harness wrote in `path` (manifest-listed files and the manifest), then the folder if nothing
    else is left in it. A file the harness did not write is never deleted."""
    if not path.is_dir() or path.is_symlink():
        return
    for name in read_manifest(path) or {}:
        _unlink(path / name)
        for parent in (path / name).parents:
            if parent == path:
                break
            try:
                parent.rmdir()
            except OSError:
                break
    _unlink(path / MANIFEST)
    _unlink(path / _PART)
    with contextlib.suppress(OSError):  # something else is in there: not ours to delete
        path.rmdir()


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        pass


def _swap(staging: Path, out: Path) -> Path | None:
    """Put `staging` at `out` in one step; the path of the retired old report, if there was one."""
    try:
        os.rename(staging, out)  # `out` missing, or an empty folder: replaced at once
        return None
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    if exchange(staging, out):
        return staging  # now holds the old report
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, retired)  # replaces the empty placeholder; `recover` puts it back if we die before the next line
    os.rename(staging, out)
    return retired


def exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically; False where the platform or file system cannot."""
    libc_name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
    except OSError:
        return False
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        code = libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        code = libc.renamex_np(os.fsencode(a), os.fsencode(b), _RENAME_SWAP)
    else:
        return False
    if code == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))
