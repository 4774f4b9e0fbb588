#include <portalis/engine.h>
