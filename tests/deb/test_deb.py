"""The Debian package `make deb` builds (lintian has passed it by then): its
control file (version from packaging/changelog, Depends naming the package
of every shared library the binary needs), its files, owners and modes, and
the program run from it after `dpkg -x` into a scratch root, finding its
knowledge base there; and `make install`/`make uninstall` under the default
PREFIX into a scratch DESTDIR. Nothing is installed on this machine.
Run: TRIAGE_DEB=build/triage_VERSION_ARCH.deb TRIAGE_BIN=build/triage python3 -m pytest tests/deb
"""
import gzip
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEB = os.environ.get("TRIAGE_DEB", "")
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
BUILD = Path(BIN).resolve().parent
META = json.loads((ROOT / "kb" / "kb.json").read_text())
VERSION = re.match(r"triage \((\S+)\) ", (ROOT / "packaging" / "changelog").read_text()).group(1)


def sh(*args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    assert DEB and Path(DEB).is_file(), "make debtest names the package in TRIAGE_DEB"
    out = tmp_path_factory.mktemp("root")
    sh("dpkg", "-x", DEB, str(out))
    return out


def field(name):
    return sh("dpkg-deb", "-f", DEB, name).strip()


def test_control_file():
    assert Path(DEB).name == "triage_%s_%s.deb" % (VERSION, sh("dpkg", "--print-architecture").strip())
    assert field("Package") == "triage"
    assert field("Version") == VERSION
    assert field("Architecture") == sh("dpkg", "--print-architecture").strip()
    assert field("Section") == "utils"
    assert field("Maintainer") == re.search(r"^ -- (.*?)  ", (ROOT / "packaging" / "changelog").read_text(),
                                            re.M).group(1)
    assert field("Description").startswith("troubleshooting expert system for the help desk\n")
    assert int(field("Installed-Size")) > 100


def owner(path):
    """The package that installed path (as ldd found it; merged /usr or not)."""
    for p in [path, "/usr" + path, os.path.realpath(path)]:
        r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0]
    raise AssertionError("no package owns " + path)


def test_depends_names_the_package_of_every_library_the_binary_needs(root):
    needed = re.findall(r"^\s+NEEDED\s+(\S+)$", sh("objdump", "-p", str(root / "usr/bin/triage")), re.M)
    assert "libsqlite3.so.0" in needed and "libc.so.6" in needed
    paths = dict(re.findall(r"^\s+(\S+) => (/\S+)", sh("ldd", str(root / "usr/bin/triage")), re.M))
    assert set(needed) <= set(paths)
    owners = {owner(paths[lib]) for lib in needed}
    depends = {d.split()[0] for d in field("Depends").split(", ")}
    assert depends == owners
    assert all(re.fullmatch(r"\S+ \(>= \S+\)", d) for d in field("Depends").split(", "))


def test_files_owners_and_modes():
    listing = sh("dpkg-deb", "-c", DEB).splitlines()
    files = {}
    for line in listing:
        mode, owner, _size, _date, _time, path = line.split(None, 5)
        assert owner == "root/root", line
        if not mode.startswith("d"):
            files[path] = mode
    assert files == {
        "./usr/bin/triage": "-rwxr-xr-x",
        "./usr/share/triage/kb.sqlite": "-rw-r--r--",
        "./usr/share/man/man1/triage.1.gz": "-rw-r--r--",
        "./usr/share/man/man5/triage-kb.5.gz": "-rw-r--r--",
        "./usr/share/bash-completion/completions/triage": "-rw-r--r--",
        "./usr/share/zsh/vendor-completions/_triage": "-rw-r--r--",
        "./usr/share/fish/vendor_completions.d/triage.fish": "-rw-r--r--",
        "./usr/share/doc/triage/copyright": "-rw-r--r--",
        "./usr/share/doc/triage/changelog.gz": "-rw-r--r--",
    }


def test_contents_are_the_build(root, tmp_path):
    man = root / "usr/share/man"
    assert gzip.decompress((man / "man1/triage.1.gz").read_bytes()) == (BUILD / "man/triage.1").read_bytes()
    assert gzip.decompress((man / "man5/triage-kb.5.gz").read_bytes()) == \
        (BUILD / "man/triage-kb.5").read_bytes()
    for path, shell in [("bash-completion/completions/triage", "bash"),
                        ("zsh/vendor-completions/_triage", "zsh"),
                        ("fish/vendor_completions.d/triage.fish", "fish")]:
        assert (root / "usr/share" / path).read_text() == sh(BIN, "completion", shell), path
    assert (root / "usr/share/triage/kb.sqlite").read_bytes() == (BUILD / "kb.sqlite").read_bytes()
    assert "not stripped" not in sh("file", str(root / "usr/bin/triage"))
    # the control archive's md5sums match the files
    sh("dpkg-deb", "-e", DEB, str(tmp_path / "DEBIAN"))
    for line in (tmp_path / "DEBIAN" / "md5sums").read_text().splitlines():
        digest, path = line.split(None, 1)
        assert hashlib.md5((root / path).read_bytes()).hexdigest() == digest, path


def test_the_installed_program_finds_its_knowledge_base(root):
    env = {k: v for k, v in os.environ.items() if k != "TRIAGE_KB"}
    binary = root / "usr/bin/triage"
    lines = sh(str(binary), "--version", env=env).splitlines()
    assert lines[0].startswith("triage %s (schema " % VERSION)
    assert lines[1].startswith("knowledge base: %s version %s, digest " % (META["id"], META["version"]))
    assert lines[2:] == ["  " + META["title"], "  %s/usr/bin/../share/triage/kb.sqlite" % root]
    causes = json.loads(sh(str(binary), "kb", "list", "causes", "--json", env=env))
    assert len(causes) == len(list((ROOT / "kb" / "causes").glob("*.json")))


def test_make_install_and_uninstall_under_usr_local(tmp_path):
    """The same files `make install` puts under the default PREFIX (zsh's
    site-functions there), and `make uninstall` takes them all away."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    make = ["make", "-s", "--no-print-directory", "-C", str(ROOT), "B=" + os.path.relpath(BUILD, ROOT),
            "DESTDIR=" + str(tmp_path)]
    sh(*make, "install", env=env)
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files == sorted([
        "usr/local/bin/triage", "usr/local/share/triage/kb.sqlite",
        "usr/local/share/man/man1/triage.1", "usr/local/share/man/man5/triage-kb.5",
        "usr/local/share/bash-completion/completions/triage",
        "usr/local/share/zsh/site-functions/_triage",
        "usr/local/share/fish/vendor_completions.d/triage.fish"])
    env.pop("TRIAGE_KB", None)
    assert sh(str(tmp_path / "usr/local/bin/triage"), "--version", env=env).splitlines()[3] == \
        "  %s/usr/local/bin/../share/triage/kb.sqlite" % tmp_path
    sh(*make, "uninstall", env=env)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
