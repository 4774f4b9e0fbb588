"""Shared paths of the Python tests: ctest passes them in the environment
(python/CMakeLists.txt); each is a file the build made."""
import os
import unittest


def path(var):
    """The file named by environment variable var (set by ctest)."""
    value = os.environ.get(var)
    if not value:
        raise unittest.SkipTest(f"{var} is not set (run through ctest)")
    return value


def calc_wasm():
    return path("PORTALIS_TEST_CALC")
