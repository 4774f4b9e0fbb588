"""USD scenes from Python over Portalis's USD layer (.usda text), with
pxr-like names so the specification's snippets read the same:
``Usd.Stage.CreateNew(path)``, ``stage.DefinePrim(path, "Xform")``,
``prim.CreateAttribute(name, Sdf.ValueTypeNames.Float).Set(1.0)``, time
samples with ``attr.Set(value, time)``, ``stage.Save()``; and the Wasm
schema helpers: ``create_wasm_module_prim(...)``,
``WasmPhysicsSchema.Define(stage, path)``,
``WasmRoboticsSchema.Define(stage, path, num_joints=6)``.

Attribute names of the schemas are namespaced as the C layer writes them
(``wasm:path``, ``wasm:entryFunction``: docs/usd.md); each schema class
lists them as ``ATTR_*`` constants.
"""
import os

from ._portalis import _Stage, UsdError  # noqa: F401


class _TimeCode(float):
    pass


class TimeCode:
    """``TimeCode.Default()`` is the attribute's default value (no time)."""

    @staticmethod
    def Default():
        return None

    def __new__(cls, value):
        return float(value)


class Sdf:
    """Value type names (``Sdf.ValueTypeNames.Float`` is ``"float"``) and
    variabilities."""

    class ValueTypeNames:
        Bool = "bool"
        Int = "int"
        UInt = "uint"
        Int64 = "int64"
        Half = "half"
        Float = "float"
        Double = "double"
        TimeCode = "timecode"
        String = "string"
        Token = "token"
        Asset = "asset"
        Int2, Int3, Int4 = "int2", "int3", "int4"
        Float2, Float3, Float4 = "float2", "float3", "float4"
        Double2, Double3, Double4 = "double2", "double3", "double4"
        Point3f, Point3d = "point3f", "point3d"
        Vector3f, Vector3d = "vector3f", "vector3d"
        Normal3f, Color3f = "normal3f", "color3f"
        Quatf, Quatd = "quatf", "quatd"
        Matrix4d = "matrix4d"
        BoolArray, IntArray, FloatArray, DoubleArray = "bool[]", "int[]", "float[]", "double[]"
        StringArray, TokenArray = "string[]", "token[]"
        Float3Array, Double3Array, Point3fArray = "float3[]", "double3[]", "point3f[]"
        Color3fArray = "color3f[]"

    VariabilityVarying = "varying"
    VariabilityUniform = "uniform"

    @staticmethod
    def Path(path):
        return str(path)


class Attribute:
    """An attribute of a prim (it need not be authored yet: ``Set`` declares
    it with the type given to ``CreateAttribute``)."""

    def __init__(self, prim, name, type_name=None, uniform=False):
        self._prim, self._name = prim, name
        self._type, self._uniform = type_name, uniform

    def GetName(self):
        return self._name

    def GetPath(self):
        return f"{self._prim.GetPath()}.{self._name}"

    def GetPrim(self):
        return self._prim

    def GetTypeName(self):
        return self._stage_core.attr_type(self._prim.GetPath(), self._name) or self._type

    @property
    def _stage_core(self):
        return self._prim._stage._core

    def IsValid(self):
        return self.GetTypeName() is not None

    __bool__ = IsValid

    def HasValue(self):
        return self.Get() is not None or bool(self.GetTimeSamples())

    def Get(self, time=None):
        """The value at ``time`` (None: the default value); None if none."""
        return self._stage_core.get(self._prim.GetPath(), self._name, None if time is None else float(time))

    def Set(self, value, time=None):
        """Authors the default value, or a time sample at ``time``."""
        type_name = self.GetTypeName()
        if type_name is None:
            raise UsdError(f"{self.GetPath()}: no type (create it with prim.CreateAttribute(name, type))")
        self._stage_core.set(self._prim.GetPath(), self._name, type_name, value,
                             None if time is None else float(time), self._uniform)
        return True

    def GetTimeSamples(self):
        return self._stage_core.sample_times(self._prim.GetPath(), self._name)

    def GetConnections(self):
        return self._stage_core.targets(self._prim.GetPath(), self._name, True)

    def SetConnections(self, paths):
        self._stage_core.set_targets(self._prim.GetPath(), self._name, [str(p) for p in paths], True)
        return True

    def AddConnection(self, path):
        return self.SetConnections(self.GetConnections() + [str(path)])

    def __repr__(self):
        return f"Attribute({self.GetPath()!r})"


class Prim:
    """A prim of a stage, by path (valid while a prim exists there)."""

    def __init__(self, stage, path):
        self._stage, self._path = stage, str(path)

    def _info(self):
        return self._stage._core.prim_info(self._path)

    def IsValid(self):
        return self._info() is not None

    __bool__ = IsValid

    def GetPath(self):
        return self._path

    def GetName(self):
        return self._path.rsplit("/", 1)[-1]

    def GetStage(self):
        return self._stage

    def GetTypeName(self):
        info = self._info()
        return info["type_name"] if info else ""

    def IsActive(self):
        info = self._info()
        return bool(info and info["active"])

    def IsDefined(self):
        info = self._info()
        return bool(info and info["defined"])

    def IsA(self, schema):
        name = getattr(schema, "SCHEMA_TYPE", schema)
        return self._stage._core.schema_isa(self.GetTypeName(), name)

    def GetParent(self):
        parent = self._path.rsplit("/", 1)[0]
        return Prim(self._stage, parent or "/")

    def GetChildren(self):
        info = self._info()
        base = "" if self._path == "/" else self._path
        return [Prim(self._stage, f"{base}/{n}") for n in (info["children"] if info else [])]

    def GetChild(self, name):
        base = "" if self._path == "/" else self._path
        return Prim(self._stage, f"{base}/{name}")

    def GetPropertyNames(self):
        return self._stage._core.property_names(self._path)

    def GetAttributes(self):
        core = self._stage._core
        return [Attribute(self, n) for n in self.GetPropertyNames() if core.attr_type(self._path, n) != "rel"]

    def GetAttribute(self, name):
        return Attribute(self, name)

    def HasAttribute(self, name):
        return self._stage._core.attr_type(self._path, name) not in (None, "rel")

    def CreateAttribute(self, name, type_name, custom=True, variability=None):
        """An attribute of type ``type_name`` (e.g. Sdf.ValueTypeNames.Float);
        its declaration is written with its first ``Set``."""
        del custom  # every non-schema attribute is custom in .usda text
        return Attribute(self, name, str(type_name), variability == Sdf.VariabilityUniform)

    def GetWasmModule(self):
        """The WasmModule attributes (schema fallbacks where unauthored)."""
        return self._stage._core.wasm_module(self._path)

    def __eq__(self, other):
        return isinstance(other, Prim) and other._stage is self._stage and other._path == self._path

    def __hash__(self):
        return hash(self._path)

    def __repr__(self):
        return f"Prim({self._path!r})"


class Layer:
    """The root layer of a stage."""

    def __init__(self, stage):
        self._stage = stage

    @property
    def identifier(self):
        return self._stage._core.identifier()

    def ExportToString(self):
        return self._stage._core.to_string(False)

    def Export(self, path):
        self._stage._core.export(os.fspath(path))
        return True


_custom_schemas = []


class Stage:
    """A composed USD stage over a .usda root layer."""

    def __init__(self, core):
        self._core = core
        for args in _custom_schemas:
            core.register_schema(*args)

    @classmethod
    def Open(cls, path):
        return cls(_Stage(path=os.fspath(path)))

    @classmethod
    def CreateNew(cls, path):
        """A new empty stage that ``Save()`` writes to ``path`` (text)."""
        return cls(_Stage(identifier=os.path.abspath(os.fspath(path))))

    @classmethod
    def CreateInMemory(cls, identifier="anon.usda"):
        return cls(_Stage(identifier=identifier))

    def DefinePrim(self, path, typeName=""):
        self._core.define_prim(str(path), typeName or None)
        return Prim(self, path)

    def OverridePrim(self, path):
        self._core.over_prim(str(path))
        return Prim(self, path)

    def GetPrimAtPath(self, path):
        return Prim(self, path)

    def GetPseudoRoot(self):
        return Prim(self, "/")

    def Traverse(self, type_name=None):
        return [Prim(self, p) for p in self._core.traverse(type_name)]

    def GetDefaultPrim(self):
        name = self._core.layer_metadata("defaultPrim")
        return Prim(self, f"/{name}") if name else Prim(self, "/__none__")

    def SetDefaultPrim(self, prim):
        self._core.set_layer_metadata("defaultPrim", "token", prim.GetName())

    def _time_meta(name):  # noqa: N805  (builds the accessors below)
        def get(self):
            v = self._core.layer_metadata(name)
            return 0.0 if v is None else float(v)

        def set_(self, value):
            self._core.set_layer_metadata(name, "double", float(value))
        return get, set_

    GetStartTimeCode, SetStartTimeCode = _time_meta("startTimeCode")
    GetEndTimeCode, SetEndTimeCode = _time_meta("endTimeCode")
    GetTimeCodesPerSecond, SetTimeCodesPerSecond = _time_meta("timeCodesPerSecond")
    GetFramesPerSecond, SetFramesPerSecond = _time_meta("framesPerSecond")
    del _time_meta

    def GetRootLayer(self):
        return Layer(self)

    def ExportToString(self, flatten=False):
        return self._core.to_string(flatten)

    def Export(self, path):
        self._core.export(os.fspath(path))
        return True

    def Save(self):
        self._core.save()
        return True

    def Diagnostics(self):
        return self._core.diagnostics()


class Usd:
    """pxr.Usd's names used by the specification's examples."""
    Stage = Stage
    Prim = Prim
    Attribute = Attribute
    TimeCode = TimeCode


# ---- the Wasm schemas -------------------------------------------------------

class WasmModuleSchema:
    """Base of the Wasm schemas: a prim running a WebAssembly module."""
    SCHEMA_TYPE = "WasmModule"
    ATTR_WASM_PATH = "wasm:path"
    ATTR_MODULE_ID = "wasm:moduleId"
    ATTR_ENTRY_FUNCTION = "wasm:entryFunction"
    ATTR_ENABLED = "wasm:enabled"
    ATTR_EXECUTION_MODE = "wasm:executionMode"
    ATTR_UPDATE_RATE = "wasm:updateRate"

    @classmethod
    def Define(cls, stage, path, **attributes):
        """Defines the prim with every schema attribute at its fallback;
        keyword arguments (``entryFunction="update"``) set attributes by
        their names without the ``wasm:`` namespace."""
        stage._core.schema_define(cls.SCHEMA_TYPE, str(path))
        prim = Prim(stage, path)
        for name, value in attributes.items():
            full = name if ":" in name else f"wasm:{name}"
            attr = prim.GetAttribute(full)
            if attr.GetTypeName() is None:
                raise UsdError(f"{cls.SCHEMA_TYPE} has no attribute {full!r}")
            attr._uniform = True if full in _UNIFORM else False
            attr.Set(value)
        return prim


_UNIFORM = {"wasm:path", "wasm:moduleId", "wasm:entryFunction", "wasm:enabled", "wasm:executionMode",
            "wasm:updateRate", "wasm:physicsFunction", "wasm:collisionHandler", "wasm:kinematicsFunction",
            "wasm:controlMode", "wasm:sensorType", "wasm:filterFunction", "wasm:stepFunction"}


class WasmPhysicsSchema(WasmModuleSchema):
    SCHEMA_TYPE = "WasmPhysics"
    ATTR_PHYSICS_FUNCTION = "wasm:physicsFunction"
    ATTR_FORCE_MULTIPLIER = "wasm:forceMultiplier"
    ATTR_GRAVITY_OVERRIDE = "wasm:gravityOverride"
    ATTR_COLLISION_HANDLER = "wasm:collisionHandler"


class WasmRoboticsSchema(WasmModuleSchema):
    SCHEMA_TYPE = "WasmRobotics"
    ATTR_KINEMATICS_FUNCTION = "wasm:kinematicsFunction"
    ATTR_JOINT_TARGETS = "wasm:jointTargets"
    ATTR_END_EFFECTOR_TARGET = "wasm:endEffectorTarget"
    ATTR_CONTROL_MODE = "wasm:controlMode"

    @classmethod
    def Define(cls, stage, path, num_joints=6, **attributes):
        """``num_joints`` zero joint targets (radians) unless
        ``jointTargets`` is given."""
        attributes.setdefault("jointTargets", [0.0] * int(num_joints))
        return super().Define(stage, path, **attributes)


class WasmSensorSchema(WasmModuleSchema):
    SCHEMA_TYPE = "WasmSensor"


class WasmFluidSchema(WasmModuleSchema):
    SCHEMA_TYPE = "WasmFluid"


_SCHEMA_TYPES = {"base": "WasmModule", "module": "WasmModule", "physics": "WasmPhysics",
                 "robotics": "WasmRobotics", "sensor": "WasmSensor", "fluid": "WasmFluid"}


def create_wasm_module_prim(stage, path, wasm_path, module_id, entry_function="update", schema_type="base"):
    """The specification's helper: defines a Wasm prim (``schema_type`` is
    "base", "physics", "robotics", "sensor", "fluid" or a type name such as
    "WasmPhysics") with its module file, id and entry function."""
    type_name = _SCHEMA_TYPES.get(schema_type, schema_type)
    stage._core.create_wasm_module_prim(str(path), str(wasm_path), module_id, entry_function, type_name)
    return Prim(stage, path)


def register_schema(type_name, base="WasmModule", attributes=(), doc=""):
    """Registers a custom prim schema for every stage opened from now on
    (and returns a class with ``Define``): ``attributes`` are tuples
    ``(name, type_name, uniform, fallback usda text or None, doc)``."""
    args = (type_name, base, [tuple(a) for a in attributes], doc)
    _custom_schemas.append(args)

    class _Custom(WasmModuleSchema):
        SCHEMA_TYPE = type_name
    _Custom.__name__ = f"{type_name}Schema"
    return _Custom
