"""The reference: FastJet 3.5, through scikit-hep ``fastjet``'s awkward interface and as plain C++.

Validation uses the awkward interface (jets come back as arrays).  Timing
needs more care: the awkward interface converts arrays to PseudoJets and jets
back to arrays in the measured call, so it makes FastJet look slower than its
C++ core.  :class:`CppTimer` therefore compiles a small C++ program against the
``libfastjet`` that the ``fastjet`` wheel ships (headers in ``fastjet/include``,
library in ``fastjet/lib64``) and times only ``ClusterSequence`` +
``inclusive_jets`` over pre-built PseudoJets with ``std::chrono``.  The
program stays running and is driven over a pipe, one timed pass per request, so
that our repeats and FastJet's can be interleaved.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import awkward as ak
import numpy as np

from hepclust.jets.definition import JetDefinition

log = logging.getLogger(__name__)


def events_to_awkward(px, py, pz, e, offsets) -> ak.Array:
    """CSR arrays -> jagged awkward records (px, py, pz, E) per event, without copying per particle."""
    content = ak.zip({"px": px, "py": py, "pz": pz, "E": e})
    return ak.unflatten(content, np.diff(offsets))


def fastjet_inclusive(px, py, pz, e, offsets, definition: JetDefinition, ptmin: float = 0.0) -> ak.Array:
    """Inclusive jets of every event from FastJet (Best strategy), as jagged (px, py, pz, E)."""
    import fastjet

    cs = fastjet.ClusterSequence(events_to_awkward(px, py, pz, e, offsets), definition.fastjet())
    return cs.inclusive_jets(ptmin)


def fastjet_exclusive(px, py, pz, e, offsets, definition: JetDefinition, n_jets: int | None = None,
                      dcut: float | None = None) -> ak.Array:
    """Exclusive jets (``n_jets`` per event, or all above ``dcut``) from FastJet."""
    import fastjet

    cs = fastjet.ClusterSequence(events_to_awkward(px, py, pz, e, offsets), definition.fastjet())
    return cs.exclusive_jets(n_jets=n_jets) if n_jets is not None else cs.exclusive_jets(dcut=dcut)


# ---- the C++ timing harness ---------------------------------------------------------------------------

HARNESS_SOURCE = r"""
// Times FastJet's C++ core on events read from a binary file; driven line by line on stdin:
//   load PATH                   -> "ok N_EVENTS"     (int64 n, int64 offsets[n+1], double px,py,pz,E [N] each)
//   time ALG R P PTMIN          -> "SECONDS N_JETS STRATEGY"  one pass over all events, Best strategy
// ALG: kt | cambridge | antikt | genkt.  Only ClusterSequence + inclusive_jets is inside the clock.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#include "fastjet/ClusterSequence.hh"

using namespace fastjet;

int main() {
  ClusterSequence::set_fastjet_banner_stream(&std::cerr);
  ClusterSequence::print_banner();
  std::vector<std::vector<PseudoJet>> events;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "load") {
      std::string path;
      in >> path;
      FILE* f = std::fopen(path.c_str(), "rb");
      if (!f) { std::cout << "error cannot open " << path << std::endl; continue; }
      int64_t n = 0;
      bool ok = std::fread(&n, sizeof n, 1, f) == 1;
      std::vector<int64_t> off(n + 1);
      ok = ok && std::fread(off.data(), sizeof(int64_t), n + 1, f) == size_t(n + 1);
      size_t total = ok ? size_t(off[n]) : 0;
      std::vector<double> c[4];
      for (auto& v : c) { v.resize(total); ok = ok && std::fread(v.data(), sizeof(double), total, f) == total; }
      std::fclose(f);
      if (!ok) { std::cout << "error truncated " << path << std::endl; continue; }
      events.assign(n, {});
      for (int64_t ev = 0; ev < n; ++ev)
        for (int64_t i = off[ev]; i < off[ev + 1]; ++i)
          events[ev].emplace_back(c[0][i], c[1][i], c[2][i], c[3][i]);
      std::cout << "ok " << n << std::endl;
    } else if (cmd == "time") {
      std::string alg;
      double R, p, ptmin;
      in >> alg >> R >> p >> ptmin;
      JetDefinition jd = alg == "kt" ? JetDefinition(kt_algorithm, R)
                       : alg == "cambridge" ? JetDefinition(cambridge_algorithm, R)
                       : alg == "antikt" ? JetDefinition(antikt_algorithm, R)
                       : JetDefinition(genkt_algorithm, R, p);
      size_t n_jets = 0;
      std::string strategy = "none";
      auto t0 = std::chrono::steady_clock::now();
      for (const auto& particles : events) {
        ClusterSequence cs(particles, jd);
        std::vector<PseudoJet> jets = cs.inclusive_jets(ptmin);
        n_jets += jets.size();
        if (strategy == "none") strategy = cs.strategy_string();  // outside FastJet's work, a string copy
      }
      auto t1 = std::chrono::steady_clock::now();
      std::cout.precision(9);
      std::cout << std::chrono::duration<double>(t1 - t0).count() << " " << n_jets << " " << strategy << std::endl;
    } else if (cmd == "strategy") {
      // the strategy FastJet's Best picks for each event: "strategy ALG R P" -> one name per event
      std::string alg;
      double R, p;
      in >> alg >> R >> p;
      JetDefinition jd = alg == "kt" ? JetDefinition(kt_algorithm, R)
                       : alg == "cambridge" ? JetDefinition(cambridge_algorithm, R)
                       : alg == "antikt" ? JetDefinition(antikt_algorithm, R)
                       : JetDefinition(genkt_algorithm, R, p);
      for (const auto& particles : events) {
        ClusterSequence cs(particles, jd);
        std::cout << cs.strategy_string() << " ";
      }
      std::cout << std::endl;
    } else if (!cmd.empty()) {
      std::cout << "error unknown command " << cmd << std::endl;
    }
  }
  return 0;
}
"""


def fastjet_prefix() -> Path:
    """Folder of the installed ``fastjet`` package (holds ``include/`` and ``lib64/`` with libfastjet)."""
    import fastjet

    return Path(fastjet.__file__).resolve().parent


def find_compiler() -> str | None:
    """A C++ compiler on PATH (``$CXX`` first), or None."""
    for name in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def build_harness(build_dir: str | os.PathLike[str]) -> Path | None:
    """Compile the timing harness into ``build_dir`` (once per source, compiler and FastJet); None without
    a compiler.

    The binary's name carries a hash of everything that goes into it, so a
    changed source or FastJet gives a new binary and a stale one is never run.
    It is compiled under a temporary name and renamed, like every output.
    """
    cxx = find_compiler()
    if cxx is None:
        return None
    prefix = fastjet_prefix()
    lib = prefix / "lib64"
    flags = ["-O2", "-std=c++17", f"-I{prefix / 'include'}", f"-L{lib}", f"-Wl,-rpath,{lib}", "-lfastjet"]
    key = hashlib.sha256("\0".join([HARNESS_SOURCE, cxx, *flags]).encode()).hexdigest()[:16]
    out = Path(build_dir) / f"fastjet_timing_{key}"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".fastjet_timing.tmp-", dir=out.parent)
    os.close(fd)
    try:
        # the source comes on stdin, so no path is baked into the binary: the same inputs give the same bytes
        proc = subprocess.run([cxx, "-x", "c++", "-", "-o", tmp, *flags], input=HARNESS_SOURCE,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"compiling the FastJet timing harness failed:\n{proc.stderr[-3000:]}")
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    log.info("compiled the FastJet C++ timing harness: %s (%s)", out, cxx)
    return out


def write_events_binary(path: str | os.PathLike[str], px, py, pz, e, offsets) -> None:
    """The harness's input: int64 n_events, int64 offsets, then px, py, pz, E as float64."""
    off = np.ascontiguousarray(offsets, dtype=np.int64)
    with open(path, "wb") as f:
        np.array([off.size - 1], dtype=np.int64).tofile(f)
        off.tofile(f)
        for a in (px, py, pz, e):
            np.ascontiguousarray(a, dtype=np.float64).tofile(f)


class CppTimer:
    """A running harness: :meth:`load` events once, then :meth:`time` one pass per call."""

    def __init__(self, binary: str | os.PathLike[str], work_dir: str | os.PathLike[str]) -> None:
        self.work_dir = Path(work_dir)
        self.proc = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def _ask(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if not answer or answer.startswith("error"):
            raise RuntimeError(f"FastJet timing harness: '{line}' -> {answer or 'no answer (crashed?)'}")
        return answer

    def load(self, px, py, pz, e, offsets) -> None:
        fd, path = tempfile.mkstemp(prefix=".events.tmp-", suffix=".bin", dir=self.work_dir)
        os.close(fd)
        try:
            write_events_binary(path, px, py, pz, e, offsets)
            self._ask(f"load {path}")
        finally:
            Path(path).unlink(missing_ok=True)

    def time(self, definition: JetDefinition, ptmin: float = 0.0) -> tuple[float, int, str]:
        """Seconds for one pass over the loaded events, the number of jets, and the first event's strategy."""
        secs, n_jets, strategy = self._ask(
            f"time {definition.algorithm} {definition.R!r} {definition.p!r} {ptmin!r}").split()
        return float(secs), int(n_jets), strategy

    def strategies(self, definition: JetDefinition) -> list[str]:
        """The strategy FastJet's Best chose for each loaded event."""
        return self._ask(f"strategy {definition.algorithm} {definition.R!r} {definition.p!r}").split()

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=30)

    def __enter__(self) -> CppTimer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
