"""The specification's import name for the USD schema helpers:
``from usd_schemas import create_wasm_module_prim, WasmPhysicsSchema``."""
from portalis.usd import (  # noqa: F401
    WasmFluidSchema, WasmModuleSchema, WasmPhysicsSchema, WasmRoboticsSchema, WasmSensorSchema,
    create_wasm_module_prim, register_schema,
)
