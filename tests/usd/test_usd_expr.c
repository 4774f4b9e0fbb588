/* Variable expressions (pusd_variable_expression_eval) against the behaviour OpenUSD 24.x
 * documents and tests for SdfVariableExpression: values, substitution, each function, the
 * errors. Non-string results are checked through if(...) or an error naming their type. */
#include "tu.h"

static pusd_value vars;
static char got[512];

/* The result, or "ERR: message". */
static const char *ev(const char *expr) {
    char *out = NULL, err[256] = "";
    if (pusd_variable_expression_eval(expr, &vars, &out, err, sizeof err))
        snprintf(got, sizeof got, "ERR: %s", err);
    else
        snprintf(got, sizeof got, "%s", out ? out : "<None>");
    free(out);
    return got;
}

static bool err_has(const char *expr, const char *needle) {
    const char *r = ev(expr);
    bool ok = !strncmp(r, "ERR: ", 5) && strstr(r, needle);
    if (!ok)
        fprintf(stderr, "%s -> %s (wanted an error with '%s')\n", expr, r, needle);
    return ok;
}

static void values(void) {
    CHECK_STR(ev("`\"${NAME}\"`"), "kitchen");
    CHECK_STR(ev("`${NAME}`"), "kitchen");
    CHECK_STR(ev("`'a_${NAME}_${DIR}.usda'`"), "a_kitchen_/assets/set.usda");
    CHECK_STR(ev("`''`"), "");
    CHECK_STR(ev("`None`"), "<None>");
    CHECK_STR(ev("`none`"), "<None>");
    CHECK_STR(ev("`'n_${NONE_STR}'`"), "n_");                 /* an expression giving None: "" */
    CHECK_STR(ev("`'x_${MISSING}'`"), "x_MISSING");           /* 24.x keeps the bare name */
    CHECK_STR(ev("`\"q_\\\"d\\\"_'s'\"`"), "q_\"d\"_'s'");    /* escaped quote */
    CHECK_STR(ev("`'nosubs_\\${NAME}'`"), "nosubs_${NAME}");  /* escaped $ */
    CHECK_STR(ev("`${NESTED}`"), "/assets/set/kitchen.usda"); /* a variable holding an expression */
    CHECK(err_has("`${MISSING}`", "No value for variable 'MISSING'"));
    CHECK(err_has("`'n_${COUNT}'`", "String value required for substituting variable 'COUNT', got int."));
    CHECK(err_has("`${COUNT}`", "evaluated to 'int' but expected 'string'"));
    CHECK(err_has("`${CYCLE_A}`", "circular variable substitutions"));
    CHECK(err_has("`${FO-O}`", "Missing ending '}'"));
    CHECK(err_has("`'abc`", "Missing ending quote"));
    CHECK(err_has("`Truee`", "Unexpected 'Truee'"));
    CHECK(err_has("`TRUE`", "Unexpected"));
    CHECK(err_has("`42abc`", "Invalid integer"));
    CHECK(err_has("`9223372036854775808`", "out of range"));
    CHECK(err_has("plain.usda", "backticks"));
    char deep[2048] = "`";
    for (int i = 0; i < 300; i++)
        strcat(deep, "not(");
    strcat(deep, "True");
    for (int i = 0; i < 300; i++)
        strcat(deep, ")");
    strcat(deep, "`");
    CHECK(err_has(deep, "nested more than 64 levels")); /* bounded recursion, not a crash */
    CHECK(err_has("`${LIST_OF_DOUBLES}`", "Variable 'LIST_OF_DOUBLES' has unsupported type double[]"));
}

static void lists(void) {
    CHECK_STR(ev("`at([1, 2, 3], -1) `"), "ERR: Expression evaluated to 'int' but expected 'string'");
    CHECK_STR(ev("`if(eq(len([]), 0), 'empty', 'no')`"), "empty");
    CHECK_STR(ev("`at(['a', '${NAME}'], 1)`"), "kitchen");
    CHECK_STR(ev("`at(${NAMES}, 0)`"), "x");
    CHECK_STR(ev("`if(eq(at([1, 2, 3], -3), 1), 'ok')`"), "ok");
    CHECK(err_has("`[None]`", "Unexpected value of type None in list at element 0"));
    CHECK(err_has("`[1, 'foo']`", "Unexpected value of type string in list at element 1"));
    CHECK(err_has("`[${NAMES}]`", "Unexpected value of type list in list at element 0"));
    CHECK(err_has("`[[1, 2]]`", "a list cannot hold a list"));
    CHECK(err_has("`at([1, 2, 3], 3)`", "at: Index out of range"));
    CHECK(err_has("`at([1, 2, 3], -4)`", "at: Index out of range"));
    CHECK(err_has("`at([1], 'a')`", "at: Index must be an integer"));
    CHECK(err_has("`at(1, 0)`", "at: Only supported for lists or strings"));
    CHECK_STR(ev("`at('abc', -2)`"), "b");
}

static void functions(void) {
    CHECK_STR(ev("`if(True, 'yes', 'no')`"), "yes");
    CHECK_STR(ev("`if(false, 'yes', 'no')`"), "no");
    CHECK_STR(ev("`if(False, 'yes')`"), "<None>");
    CHECK_STR(ev("`if(${FLAG}, '${DIR}/hi.usda', '${DIR}/lo.usda')`"), "/assets/set/hi.usda");
    CHECK_STR(ev("`if( True , 'a' , 'b' )`"), "a");
    CHECK(err_has("`if(1, 'a', 'b')`", "if: Condition must be a boolean value"));
    CHECK(err_has("`if(True, 'a', 1)`", "if-value and else-value must evaluate to the same type or None."));
    CHECK_STR(ev("`if(True, 'a', None)`"), "a");
    CHECK(err_has("`if(True)`", "Function 'if' does not take 1 arguments."));
    CHECK(err_has("`if(True, 'a', 'b', 'c')`", "Function 'if' does not take 4 arguments."));
    CHECK(err_has("`nope(1)`", "Unknown function nope"));
    /* comparisons: same types only; None equals None; lists cannot be compared */
    CHECK_STR(ev("`if(eq('a', 'a'), 'T', 'F')`"), "T");
    CHECK_STR(ev("`if(neq(1, 2), 'T', 'F')`"), "T");
    CHECK_STR(ev("`if(lt('abc', 'abd'), 'T', 'F')`"), "T");
    CHECK_STR(ev("`if(leq(2, 2), 'T', 'F')`"), "T");
    CHECK_STR(ev("`if(gt(-1, 2), 'T', 'F')`"), "F");
    CHECK_STR(ev("`if(geq(False, True), 'T', 'F')`"), "F");
    CHECK_STR(ev("`if(eq(None, None), 'T', 'F')`"), "T");
    CHECK_STR(ev("`if(eq(${COUNT}, 3), 'T', 'F')`"), "T");
    CHECK(err_has("`eq(1, 'a')`", "eq: Cannot compare values of type int and string"));
    CHECK(err_has("`lt(None, None)`", "lt: Comparison operation not supported for None"));
    CHECK(err_has("`eq([1], [1])`", "eq: Unsupported type for comparison"));
    /* and / or / not */
    CHECK_STR(ev("`if(and(True, True, ${FLAG}), 'T', 'F')`"), "T");
    CHECK_STR(ev("`if(and(True, False), 'T', 'F')`"), "F");
    CHECK_STR(ev("`if(or(False, False, True), 'T', 'F')`"), "T");
    CHECK_STR(ev("`if(not(or(False, False)), 'T', 'F')`"), "T");
    CHECK(err_has("`and(True)`", "Function 'and' requires at least 2 arguments."));
    CHECK(err_has("`or(True, 1)`", "or: Invalid type int for argument 1"));
    CHECK(err_has("`not('a')`", "not: Invalid type string for argument"));
    /* contains / len / defined */
    CHECK_STR(ev("`if(contains([1, 2, 3], ${COUNT}), 'T', 'F')`"), "T");
    CHECK_STR(ev("`if(contains(${NAMES}, 'z'), 'T', 'F')`"), "F");
    CHECK_STR(ev("`if(contains('kitchen', 'itch'), 'T', 'F')`"), "T");
    CHECK_STR(ev("`if(contains([], 1), 'T', 'F')`"), "F");
    CHECK(err_has("`contains([1], 'a')`", "contains: Invalid search value"));
    CHECK(err_has("`contains(1, 1)`", "contains: Value to search must be a list or string"));
    CHECK_STR(ev("`if(eq(len('abc'), 3), 'T', 'F')`"), "T");
    CHECK(err_has("`len(1)`", "len: Unsupported type"));
    CHECK_STR(ev("`if(defined('NAME', 'DIR'), 'T', 'F')`"), "T");
    CHECK_STR(ev("`if(defined('NAME','MISSING'), 'T', 'F')`"), "F");
    CHECK(err_has("`defined(1)`", "defined: Invalid type int for argument 0"));
    CHECK(err_has("`defined()`", "Function 'defined' requires at least 1 arguments."));
}

/* On a stage: a failing expression in a reference, sublayer or variant selection is a diagnostic
 * and the arc (or opinion) is ignored; asset attributes resolve through their expression. */
static void on_stage(void) {
    char *dir = tu_tmpdir();
    if (!dir)
        return;
    tu_write(dir, "a.usda", "#usda 1.0\n(\n    defaultPrim = \"A\"\n)\ndef \"A\"\n{\n    float a = 1\n}\n");
    tu_write(dir, "root.usda",
             "#usda 1.0\n(\n    expressionVariables = {\n        string F = \"a\"\n    }\n"
             "    subLayers = [@`${NOPE}`@]\n)\n"
             "def \"Bad\" (\n    references = @`'${F}'.usda`@\n)\n{\n}\n"
             "def \"Good\" (\n    references = @`'./${F}.usda'`@\n)\n{\n"
             "    asset tex = @`'./tex/${F}.png'`@\n}\n"
             "def \"V\" (\n    variants = {\n        string v = \"`${NOPE}`\"\n    }\n"
             "    prepend variantSets = \"v\"\n)\n{\n    variantSet \"v\" = {\n        \"x\" {\n"
             "            float x = 1\n        }\n    }\n}\n");
    char path[1024];
    snprintf(path, sizeof path, "%s/root.usda", dir);
    pusd_stage *s = NULL;
    pusd_error e;
    CHECK(pusd_stage_open(path, &s, &e) == 0);
    if (s) {
        CHECK(tu_has_diag(s, "sublayer `${NOPE}`: No value for variable 'NOPE'"));
        CHECK(tu_has_diag(s, "reference `'${F}'.usda`: Unexpected text"));
        CHECK(tu_has_diag(s, "variant selection `${NOPE}`"));
        pusd_prim *g = pusd_stage_prim_at_path(s, "/Good"), *b = pusd_stage_prim_at_path(s, "/Bad");
        CHECK(g && pusd_prim_property_count(g) == 2); /* a (referenced) and tex */
        CHECK(b && pusd_prim_property_count(b) == 0);
        char want[1100];
        snprintf(want, sizeof want, "%s/tex/a.png", dir);
        const char *r = g ? pusd_prim_resolve_asset(g, "tex") : NULL;
        CHECK(r && !strcmp(r, want));
        pusd_prim *v = pusd_stage_prim_at_path(s, "/V");
        CHECK(v && pusd_prim_property_count(v) == 0);
        pusd_stage_free(s);
    }
    tu_rmrf(dir);
    free(dir);
}

int main(void) {
    pusd_error e;
    pusd_layer *l =
        tu_parse("#usda 1.0\n(\n    expressionVariables = {\n        string NAME = \"kitchen\"\n"
                 "        string DIR = \"/assets/set\"\n        int COUNT = 3\n        bool FLAG = true\n"
                 "        string NESTED = \"`'${DIR}/${NAME}.usda'`\"\n        string NONE_STR = \"`None`\"\n"
                 "        string CYCLE_A = \"`${CYCLE_B}`\"\n        string CYCLE_B = \"`${CYCLE_A}`\"\n"
                 "        string[] NAMES = [\"x\", \"y\"]\n        double[] LIST_OF_DOUBLES = [1.5]\n    }\n)\n",
                 &e);
    CHECK(l != NULL);
    if (!l || pusd_layer_get_metadata(l, "expressionVariables", &vars))
        TU_END();
    CHECK(pusd_is_variable_expression("`x`") && !pusd_is_variable_expression("`") &&
          !pusd_is_variable_expression("a`"));
    values();
    lists();
    functions();
    on_stage();
    pusd_layer_free(l);
    TU_END();
}
