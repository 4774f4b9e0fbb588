"""Runtime adapter for the official WASI test suite (WebAssembly/wasi-testsuite):
maps a test's arguments, environment and preopened directory to a
`portalis run` command line. PORTALIS names the binary (default: portalis)."""
import os
import shlex
from typing import Dict, List, Optional, Tuple

PORTALIS = shlex.split(os.getenv("PORTALIS", "portalis"))


def get_name() -> str:
    return "portalis"


def get_version() -> str:
    return "dev"


def get_wasi_versions() -> List[str]:
    return ["wasm32-wasip1"]


def get_wasi_worlds() -> List[str]:
    return ["wasi:cli/command"]


def compute_argv(test_path: str,
                 args_env_root: Tuple[List[str], Dict[str, str], Optional[str]],
                 proposals: List[str], wasi_world: str, wasi_version: str) -> List[str]:
    args, env, root = args_env_root
    argv = PORTALIS + ["run"]
    for name, value in env.items():
        argv += ["--env", f"{name}={value}"]
    if root:
        argv += ["--dir", f"{root}::/"]
    return argv + [test_path] + args
