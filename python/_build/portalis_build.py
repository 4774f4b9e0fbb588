"""The PEP 517 build backend of the `portalis` Python package.

The extension module is built by the project's CMake (target
portalis_python) for the interpreter running this backend, then the wheel
is written directly (a zip with its .dist-info), so installing needs only
pip, CMake and a C compiler: no setuptools, no wheel, no registry.

Environment:
  PORTALIS_BUILD_DIR   reuse this CMake build tree when it already holds an
                       extension for this interpreter's ABI (the tests do);
                       otherwise python/build/cmake-<abi>/ is configured.
  PORTALIS_SOURCE_DIR  the repository (default: the parent of python/).
"""
import base64
import hashlib
import os
import subprocess
import sys
import sysconfig
import zipfile

NAME = "portalis"
VERSION = "0.1.0"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # python/
TOP_MODULES = ["wasm_bridge.py", "usd_schemas.py"]

METADATA = f"""Metadata-Version: 2.1
Name: {NAME}
Version: {VERSION}
Summary: Run sandboxed WebAssembly modules in simulations: the WasmtimeBridge API, USD authoring, scene runs
Requires-Python: >=3.10
License: MIT
Provides-Extra: numpy
Requires-Dist: numpy; extra == "numpy"
Provides-Extra: plots
Requires-Dist: matplotlib; extra == "plots"

CPython bindings of the Portalis C library (python/README.md in the repository).
"""


def _tag():
    impl = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{impl}-{impl}-{plat}"


def _ext_name():
    return "_portalis" + sysconfig.get_config_var("EXT_SUFFIX")


def _cmake_build():
    """The CMake build tree holding portalis/_portalis*.so for this ABI."""
    reuse = os.environ.get("PORTALIS_BUILD_DIR")
    if reuse and os.path.isfile(os.path.join(reuse, "python", "portalis", _ext_name())):
        return reuse
    src = os.environ.get("PORTALIS_SOURCE_DIR", os.path.dirname(HERE))
    if not os.path.isfile(os.path.join(src, "CMakeLists.txt")):
        raise RuntimeError(f"portalis: no CMakeLists.txt in {src}: set PORTALIS_SOURCE_DIR to the repository")
    tag = sysconfig.get_config_var("SOABI") or _tag()
    build = os.path.join(HERE, "build", f"cmake-{tag}")
    subprocess.check_call(["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                           f"-DPython3_EXECUTABLE={sys.executable}"], stdout=sys.stderr)
    jobs = str(min(os.cpu_count() or 1, 8))
    subprocess.check_call(["cmake", "--build", build, "--target", "portalis_python", "-j", jobs], stdout=sys.stderr)
    return build


def _files(build):
    """(path in the wheel, file on disk) of everything installed."""
    out = []
    pkg = os.path.join(HERE, "portalis")
    for name in sorted(os.listdir(pkg)):
        if name.endswith(".py"):
            out.append((f"portalis/{name}", os.path.join(pkg, name)))
    out.append((f"portalis/{_ext_name()}", os.path.join(build, "python", "portalis", _ext_name())))
    for name in TOP_MODULES:
        out.append((name, os.path.join(HERE, name)))
    return out


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def _dist_info_files():
    wheel = f"Wheel-Version: 1.0\nGenerator: portalis_build {VERSION}\nRoot-Is-Purelib: false\nTag: {_tag()}\n"
    return {"METADATA": METADATA, "WHEEL": wheel, "top_level.txt": "portalis\nusd_schemas\nwasm_bridge\n"}


def _write_dist_info(directory):
    info = os.path.join(directory, f"{NAME}-{VERSION}.dist-info")
    os.makedirs(info, exist_ok=True)
    for name, text in _dist_info_files().items():
        with open(os.path.join(info, name), "w", encoding="utf-8") as f:
            f.write(text)
    return os.path.basename(info)


# ---- PEP 517 hooks ------------------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _write_dist_info(metadata_directory)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    build = _cmake_build()
    wheel_name = f"{NAME}-{VERSION}-{_tag()}.whl"
    info = f"{NAME}-{VERSION}.dist-info"
    record = []
    tmp = os.path.join(wheel_directory, wheel_name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, src in _files(build):
            with open(src, "rb") as f:
                data = f.read()
            z.writestr(zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0)), data,
                       compress_type=zipfile.ZIP_DEFLATED)
            record.append(_record_line(arcname, data))
        for name, text in _dist_info_files().items():
            data = text.encode()
            z.writestr(f"{info}/{name}", data)
            record.append(_record_line(f"{info}/{name}", data))
        record.append(f"{info}/RECORD,,")
        z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    os.replace(tmp, os.path.join(wheel_directory, wheel_name))  # never a half-written wheel
    return wheel_name
