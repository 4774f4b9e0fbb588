/* The attributes OpenUSD's core schemas declare (UsdGeom, UsdShade, UsdLux,
 * UsdSkel, UsdPhysics: the ones real scenes author most) with their value
 * type and variability, plus the built-in Wasm schemas. A composed
 * attribute that its prim's type or an applied API schema declares takes
 * the declared type and variability and is not custom (UsdStage resolves
 * typeName and variability of built-in attributes from the prim
 * definition), which is how flattening writes it. */
#include <stdlib.h>

#include "internal.h"

typedef struct core_attr {
    const char *name, *type;
    bool uniform;
} core_attr;

typedef struct core_schema {
    const char *name, *base;
    const core_attr *attrs;
    size_t n;
} core_schema;

/* clang-format off */
static const core_attr imageable[] = {{"visibility", "token", false}, {"purpose", "token", true}};
static const core_attr xformable[] = {{"xformOpOrder", "token[]", true}};
static const core_attr boundable[] = {{"extent", "float3[]", false}};
static const core_attr gprim[] = {
    {"primvars:displayColor", "color3f[]", false}, {"primvars:displayOpacity", "float[]", false},
    {"doubleSided", "bool", true}, {"orientation", "token", true}};
static const core_attr point_based[] = {
    {"points", "point3f[]", false}, {"velocities", "vector3f[]", false},
    {"accelerations", "vector3f[]", false}, {"normals", "normal3f[]", false}};
static const core_attr mesh[] = {
    {"faceVertexIndices", "int[]", false}, {"faceVertexCounts", "int[]", false},
    {"subdivisionScheme", "token", true}, {"interpolateBoundary", "token", false},
    {"faceVaryingLinearInterpolation", "token", false}, {"triangleSubdivisionRule", "token", false},
    {"holeIndices", "int[]", false}, {"cornerIndices", "int[]", false}, {"cornerSharpnesses", "float[]", false},
    {"creaseIndices", "int[]", false}, {"creaseLengths", "int[]", false}, {"creaseSharpnesses", "float[]", false}};
static const core_attr points[] = {{"widths", "float[]", false}, {"ids", "int64[]", false}};
static const core_attr curves[] = {{"curveVertexCounts", "int[]", false}, {"widths", "float[]", false}};
static const core_attr basis_curves[] = {{"type", "token", true}, {"basis", "token", true}, {"wrap", "token", true}};
static const core_attr sphere[] = {{"radius", "double", false}};
static const core_attr cube[] = {{"size", "double", false}};
static const core_attr axial[] = {{"height", "double", false}, {"radius", "double", false}, {"axis", "token", true}};
static const core_attr plane[] = {{"width", "double", false}, {"length", "double", false}, {"axis", "token", true}};
static const core_attr camera[] = {
    {"projection", "token", false}, {"horizontalAperture", "float", false}, {"verticalAperture", "float", false},
    {"horizontalApertureOffset", "float", false}, {"verticalApertureOffset", "float", false},
    {"focalLength", "float", false}, {"clippingRange", "float2", false}, {"clippingPlanes", "float4[]", false},
    {"fStop", "float", false}, {"focusDistance", "float", false}, {"stereoRole", "token", true},
    {"shutter:open", "double", false}, {"shutter:close", "double", false}, {"exposure", "float", false}};
static const core_attr point_instancer[] = {
    {"protoIndices", "int[]", false}, {"ids", "int64[]", false}, {"positions", "point3f[]", false},
    {"orientations", "quath[]", false}, {"scales", "float3[]", false}, {"velocities", "vector3f[]", false},
    {"accelerations", "vector3f[]", false}, {"angularVelocities", "vector3f[]", false},
    {"invisibleIds", "int64[]", false}};
static const core_attr geom_subset[] = {
    {"elementType", "token", true}, {"indices", "int[]", false}, {"familyName", "token", true}};
static const core_attr shader[] = {
    {"info:id", "token", true}, {"info:implementationSource", "token", true},
    {"info:sourceAsset", "asset", true}, {"info:sourceCode", "string", true}};
static const core_attr material[] = {
    {"outputs:surface", "token", false}, {"outputs:displacement", "token", false}, {"outputs:volume", "token", false}};
static const core_attr light[] = {
    {"inputs:intensity", "float", false}, {"inputs:exposure", "float", false}, {"inputs:diffuse", "float", false},
    {"inputs:specular", "float", false}, {"inputs:normalize", "bool", false}, {"inputs:color", "color3f", false},
    {"inputs:enableColorTemperature", "bool", false}, {"inputs:colorTemperature", "float", false}};
static const core_attr sphere_light[] = {{"inputs:radius", "float", false}, {"treatAsPoint", "bool", false}};
static const core_attr distant_light[] = {{"inputs:angle", "float", false}};
static const core_attr rect_light[] = {
    {"inputs:width", "float", false}, {"inputs:height", "float", false}, {"inputs:texture:file", "asset", false}};
static const core_attr disk_light[] = {{"inputs:radius", "float", false}};
static const core_attr cylinder_light[] = {
    {"inputs:length", "float", false}, {"inputs:radius", "float", false}, {"treatAsLine", "bool", false}};
static const core_attr dome_light[] = {
    {"inputs:texture:file", "asset", false}, {"inputs:texture:format", "token", false},
    {"guideRadius", "float", false}};
static const core_attr skeleton[] = {
    {"joints", "token[]", true}, {"jointNames", "token[]", true},
    {"bindTransforms", "matrix4d[]", true}, {"restTransforms", "matrix4d[]", true}};
static const core_attr skel_animation[] = {
    {"joints", "token[]", true}, {"translations", "float3[]", false}, {"rotations", "quatf[]", false},
    {"scales", "half3[]", false}, {"blendShapes", "token[]", true}, {"blendShapeWeights", "float[]", false}};
static const core_attr blend_shape[] = {
    {"offsets", "vector3f[]", true}, {"normalOffsets", "vector3f[]", true}, {"pointIndices", "int[]", true}};
static const core_attr skel_binding[] = {
    {"primvars:skel:geomBindTransform", "matrix4d", false}, {"primvars:skel:jointIndices", "int[]", false},
    {"primvars:skel:jointWeights", "float[]", false}, {"skel:joints", "token[]", true},
    {"skel:blendShapes", "token[]", true}, {"skel:skinningMethod", "token", true}};
static const core_attr rigid_body[] = {
    {"physics:rigidBodyEnabled", "bool", false}, {"physics:kinematicEnabled", "bool", false},
    {"physics:startsAsleep", "bool", true}, {"physics:velocity", "vector3f", false},
    {"physics:angularVelocity", "vector3f", false}};
static const core_attr mass[] = {
    {"physics:mass", "float", false}, {"physics:density", "float", false},
    {"physics:centerOfMass", "point3f", false}, {"physics:diagonalInertia", "float3", false},
    {"physics:principalAxes", "quatf", false}};
static const core_attr collision[] = {{"physics:collisionEnabled", "bool", false}};
static const core_attr mesh_collision[] = {{"physics:approximation", "token", true}};
static const core_attr physics_scene[] = {
    {"physics:gravityDirection", "vector3f", false}, {"physics:gravityMagnitude", "float", false}};

#define S(name, base, attrs) {name, base, attrs, sizeof attrs / sizeof attrs[0]}
static const core_schema schemas[] = {
    S("Imageable", NULL, imageable), S("Xformable", "Imageable", xformable), S("Boundable", "Xformable", boundable),
    S("Gprim", "Boundable", gprim), S("PointBased", "Gprim", point_based), S("Mesh", "PointBased", mesh),
    S("Points", "PointBased", points), S("Curves", "PointBased", curves), S("BasisCurves", "Curves", basis_curves),
    S("Sphere", "Gprim", sphere), S("Cube", "Gprim", cube), S("Cylinder", "Gprim", axial),
    S("Cone", "Gprim", axial), S("Capsule", "Gprim", axial), S("Plane", "Gprim", plane),
    S("Camera", "Xformable", camera), S("PointInstancer", "Boundable", point_instancer),
    {"Xform", "Xformable", NULL, 0}, {"Scope", "Imageable", NULL, 0},
    S("GeomSubset", NULL, geom_subset), S("Shader", NULL, shader), S("Material", NULL, material),
    S("LightAPI", NULL, light), S("SphereLight", "LightAPI", sphere_light),
    S("DistantLight", "LightAPI", distant_light), S("RectLight", "LightAPI", rect_light),
    S("DiskLight", "LightAPI", disk_light), S("CylinderLight", "LightAPI", cylinder_light),
    S("DomeLight", "LightAPI", dome_light), S("Skeleton", "Boundable", skeleton),
    S("SkelAnimation", NULL, skel_animation), S("BlendShape", NULL, blend_shape),
    {"SkelRoot", "Boundable", NULL, 0}, S("SkelBindingAPI", NULL, skel_binding),
    S("PhysicsRigidBodyAPI", NULL, rigid_body), S("PhysicsMassAPI", NULL, mass),
    S("PhysicsCollisionAPI", NULL, collision), S("PhysicsMeshCollisionAPI", NULL, mesh_collision),
    S("PhysicsScene", NULL, physics_scene),
};
/* clang-format on */

static const core_schema *find(const char *name) {
    for (size_t i = 0; name && i < sizeof schemas / sizeof schemas[0]; i++)
        if (!strcmp(schemas[i].name, name)) return &schemas[i];
    return NULL;
}

/* attr declared by schema `name` or its bases */
static bool declared_by(const char *name, const char *attr, const char **type, bool *uniform) {
    for (const core_schema *s = find(name); s; s = find(s->base))
        for (size_t i = 0; i < s->n; i++)
            if (!strcmp(s->attrs[i].name, attr)) {
                *type = s->attrs[i].type;
                *uniform = s->attrs[i].uniform;
                return true;
            }
    const pusd_schema_attr *w = pusd__builtin_schema_attr(name, attr);
    if (!w) return false;
    *type = w->type_name;
    *uniform = w->uniform;
    return true;
}

bool pusd__declared_attr(const char *prim_type, const char *const *api, size_t napi, const char *attr,
                         const char **type, bool *uniform) {
    if (prim_type && declared_by(prim_type, attr, type, uniform)) return true;
    for (size_t i = 0; i < napi; i++)
        if (declared_by(api[i], attr, type, uniform)) return true;
    return false;
}

static int add_name(const char ***v, size_t *n, size_t *cap, const char *name) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i], name)) return 0;
    if (!PBASE_RESERVE(*v, *cap, *n + 1)) return -1;
    (*v)[(*n)++] = name;
    return 0;
}

/* The names schema `name` and its bases declare, core tables and Wasm schemas alike. */
static int add_declared(const char *name, const char ***v, size_t *n, size_t *cap) {
    for (const core_schema *s = find(name); s; s = find(s->base))
        for (size_t i = 0; i < s->n; i++)
            if (add_name(v, n, cap, s->attrs[i].name)) return -1;
    for (int guard = 0; name && guard < 8; guard++) {
        const pusd_schema_def *d = pusd__builtin_schema_def(name);
        if (!d) break;
        for (size_t i = 0; i < d->attr_count; i++)
            if (add_name(v, n, cap, d->attrs[i].name)) return -1;
        name = d->base;
    }
    return 0;
}

size_t pusd__declared_attr_names(const char *prim_type, const char *const *api, size_t napi, const char ***out) {
    const char **v = NULL;
    size_t n = 0, cap = 0;
    int rc = prim_type ? add_declared(prim_type, &v, &n, &cap) : 0;
    for (size_t i = 0; !rc && i < napi; i++) rc = add_declared(api[i], &v, &n, &cap);
    *out = v;
    return n;
}
