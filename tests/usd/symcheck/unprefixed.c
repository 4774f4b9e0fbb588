/* A library with one prefixed and one unprefixed global: the symbol check
 * must reject it (test symbol_prefixes_rejects). */
int pusd_symcheck_ok(void);
int value_copy(void);
int pusd_symcheck_ok(void) { return 1; }
int value_copy(void) { return 2; }
