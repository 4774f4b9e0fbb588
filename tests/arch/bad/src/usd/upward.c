#include <portalis/host.h>
