"""A long-lived LibreOffice converter, driven over UNO: one per converter worker.

Run by ``sikro_docs.convert`` with a Python that has LibreOffice's ``uno``
module (Debian: python3-uno; it is not on PyPI), so this file uses nothing
but the standard library and ``uno``:

    python3 lo_bridge.py SOFFICE PROFILE_URL PIPE_NAME CONNECT_TIMEOUT

It starts ``soffice`` listening on a private pipe, connects, prints
``{"ready": true}`` and then converts one document per line read from stdin,
``{"in": path, "out": path, "pdfa": bool}``, answering each with one line,
``{"ok": true}`` or ``{"ok": false, "error": text}``. End of input ends it.

Why: one ``soffice --convert-to`` start costs as much as ten documents; a
running LibreOffice converts every document at the cost of the document
alone. The parent keeps the timeouts and kills this process group on a hang,
so nothing here waits on its own.
"""

import json
import subprocess
import sys
import time

import uno  # noqa: F401  (LibreOffice's; also makes the com.sun.star modules importable)
from com.sun.star.beans import PropertyValue

# The PDF export settings. Lossless: the QR code and the emblem stay sharp
# (JPEG blurs a QR code's edges), and LibreOffice exports twice as fast.
COMMON_FILTER = {"UseLosslessCompression": True, "ReduceImageResolution": False}
PDFA_FILTER = {"SelectPdfVersion": 2}  # PDF/A-2b


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def say(**message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def start_office(soffice, profile_url, pipe):
    return subprocess.Popen(
        [soffice, f"-env:UserInstallation={profile_url}", "--headless", "--invisible", "--nologo",
         "--norestore", "--nodefault", "--nolockcheck",
         f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def connect(office, pipe, timeout):
    """The office's Desktop, once it answers on the pipe."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except Exception as err:  # NoConnectException until soffice listens
            if office.poll() is not None:
                raise RuntimeError(f"LibreOffice exited with status {office.returncode}") from err
            if time.monotonic() > deadline:
                raise RuntimeError(f"LibreOffice did not answer within {timeout:.0f} s") from err
            time.sleep(0.05)


def export_settings(pdfa):
    settings = {**COMMON_FILTER, **(PDFA_FILTER if pdfa else {})}
    data = uno.Any("[]com.sun.star.beans.PropertyValue", tuple(prop(k, v) for k, v in settings.items()))
    return (prop("FilterName", "writer_pdf_Export"), prop("FilterData", data))


LOAD = (prop("Hidden", True), prop("ReadOnly", True),
        prop("MacroExecutionMode", 0),  # NEVER_EXECUTE
        prop("UpdateDocMode", 0))       # NO_UPDATE: no links are followed


def convert(desktop, source, target, pdfa):
    document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, LOAD)
    if document is None:
        raise RuntimeError("LibreOffice could not load it")
    try:
        document.storeToURL(uno.systemPathToFileUrl(target), export_settings(pdfa))
    finally:
        document.close(True)


def serve(desktop):
    for line in sys.stdin:
        job = json.loads(line)
        try:
            convert(desktop, job["in"], job["out"], job["pdfa"])
        except Exception as err:
            if type(err).__name__ in ("DisposedException", "RuntimeException") and "bridge" in str(err).lower():
                raise  # the office is gone: the parent sees the end of output and restarts us
            say(ok=False, error=f"{type(err).__name__}: {' '.join(str(err).split())[:300]}")
        else:
            say(ok=True)


PIPE_NAME = None  # the pipe of this bridge's LibreOffice (set by main)


def main(soffice, profile_url, pipe, timeout):
    global PIPE_NAME
    PIPE_NAME = pipe
    office = start_office(soffice, profile_url, pipe)
    try:
        desktop = connect(office, pipe, float(timeout))
    except RuntimeError as err:
        say(ready=False, error=str(err))
        office.kill()
        return 1
    say(ready=True)
    try:
        serve(desktop)
    finally:
        leave_nothing_behind(profile_url)
    return 0


def leave_nothing_behind(profile_url):
    """End of input: the parent closed the pipe, or died (kill -9). LibreOffice
    (soffice.bin outlives its launcher) and the worker's folder must not stay.

    The parent started this process in a new session, and LibreOffice runs in
    its process group: one signal ends them all, this process included.
    """
    import os
    import shutil
    import signal
    from urllib.parse import unquote, urlparse

    worker_root = os.path.dirname(unquote(urlparse(profile_url).path))
    if os.path.basename(worker_root).startswith("sikro-lo-"):
        shutil.rmtree(worker_root, ignore_errors=True)
    remove_pipes(profile_url, PIPE_NAME)
    if os.getpgrp() == os.getpid():  # only our own group, never the caller's
        os.killpg(os.getpgrp(), signal.SIGKILL)


def remove_pipes(profile_url, pipe):
    """LibreOffice's sockets in /tmp, which a killed LibreOffice leaves (same names as
    convert.office_pipe_paths: this file imports nothing of sikro_docs)."""
    import hashlib
    import os
    import stat

    digest = hashlib.md5(profile_url.encode("utf-16-le")).digest()
    names = ["SingleOfficeIPC_" + "".join(format(byte, "x") for byte in digest)] + ([pipe] if pipe else [])
    for name in names:
        path = f"/tmp/OSL_PIPE_{os.getuid()}_{name}"
        try:
            if stat.S_ISSOCK(os.lstat(path).st_mode):
                os.unlink(path)
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
