#include "../bridge/internal.h"
#include <portalis/base.h>
