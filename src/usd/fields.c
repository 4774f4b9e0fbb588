/* The registry of known metadata fields: which keys exist at layer, prim
 * and property level and what value type each holds. Shared by the reader
 * (to parse a value) and the writer (to print identifier-form tokens), so
 * neither depends on the other. */
#include "internal.h"

typedef struct field {
    const char *key;
    int type;
    uint8_t where_mask;
    uint8_t ident;
} field;
#define L 1
#define PR 2
#define PP 4
#define ARR 0x100
static const field fields[] = {
    {"defaultPrim", PUSD_T_TOKEN, L, 0},
    {"upAxis", PUSD_T_TOKEN, L, 0},
    {"metersPerUnit", PUSD_T_DOUBLE, L, 0},
    {"kilogramsPerUnit", PUSD_T_DOUBLE, L, 0},
    {"timeCodesPerSecond", PUSD_T_DOUBLE, L, 0},
    {"framesPerSecond", PUSD_T_DOUBLE, L, 0},
    {"startTimeCode", PUSD_T_DOUBLE, L, 0},
    {"endTimeCode", PUSD_T_DOUBLE, L, 0},
    {"startFrame", PUSD_T_DOUBLE, L, 0},
    {"endFrame", PUSD_T_DOUBLE, L, 0},
    {"framePrecision", PUSD_T_INT, L, 0},
    {"customLayerData", PUSD_T_DICTIONARY, L, 0},
    {"fallbackPrimTypes", PUSD_T_DICTIONARY, L, 0},
    {"expressionVariables", PUSD_T_DICTIONARY, L, 0},
    {"renderSettingsPrimPath", PUSD_T_STRING, L, 0},
    {"colorConfiguration", PUSD_T_ASSET, L, 0},
    {"colorManagementSystem", PUSD_T_TOKEN, L, 0},
    {"owner", PUSD_T_STRING, L, 0},
    {"sessionOwner", PUSD_T_STRING, L, 0},
    {"hasOwnedSubLayers", PUSD_T_BOOL, L, 0},
    {"doc", PUSD_T_STRING, L | PR | PP, 0},
    {"documentation", PUSD_T_STRING, PR | PP, 0},
    {"comment", PUSD_T_STRING, L | PR | PP, 0},
    {"kind", PUSD_T_TOKEN, PR, 0},
    {"active", PUSD_T_BOOL, PR, 0},
    {"hidden", PUSD_T_BOOL, PR | PP, 0},
    {"instanceable", PUSD_T_BOOL, PR, 0},
    {"customData", PUSD_T_DICTIONARY, L | PR | PP, 0},
    {"assetInfo", PUSD_T_DICTIONARY, PR | PP, 0},
    {"displayName", PUSD_T_STRING, PR | PP, 0},
    {"displayGroup", PUSD_T_STRING, PP, 0},
    {"apiSchemas", PUSD_T_TOKEN_LISTOP, PR, 0},
    {"references", PUSD_T_REFERENCE_LISTOP, PR, 0},
    {"payload", PUSD_T_PAYLOAD_LISTOP, PR, 0},
    {"inherits", PUSD_T_PATH_LISTOP, PR, 0},
    {"specializes", PUSD_T_PATH_LISTOP, PR, 0},
    {"variantSets", PUSD_T_STRING_LISTOP, PR, 0},
    {"clipSets", PUSD_T_STRING_LISTOP, PR, 0},
    {"variants", PUSD_T_DICTIONARY, PR, 0},
    {"clips", PUSD_T_DICTIONARY, PR, 0},
    {"permission", PUSD_T_TOKEN, PR | PP, 1},
    {"symmetryFunction", PUSD_T_TOKEN, PR | PP, 1},
    {"symmetryArguments", PUSD_T_DICTIONARY, PR | PP, 0},
    {"sdrMetadata", PUSD_T_DICTIONARY, PR | PP, 0},
    {"interpolation", PUSD_T_TOKEN, PP, 0},
    {"elementSize", PUSD_T_INT, PP, 0},
    {"allowedTokens", PUSD_T_TOKEN | ARR, PP, 0},
    {"colorSpace", PUSD_T_TOKEN, PP, 0},
    {"connectability", PUSD_T_TOKEN, PP, 0},
    {"displayUnit", PUSD_T_TOKEN, PP, 1},
    {"renderType", PUSD_T_TOKEN, PP, 0},
    {"bindMaterialAs", PUSD_T_TOKEN, PP, 0},
};

int pusd__meta_field_type(int where, const char *key, bool *ident_form) {
    uint8_t mask = (uint8_t)(1u << where);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if ((fields[i].where_mask & mask) && !strcmp(fields[i].key, key)) {
            if (ident_form) *ident_form = fields[i].ident;
            return fields[i].type;
        }
    if (ident_form) *ident_form = false;
    return PUSD_T_RAW;
}
