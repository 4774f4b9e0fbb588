/* A tick module in C: spins its cube about z at inputs:degreesPerSecond and
 * rocks it about x by inputs:tiltDegrees with period inputs:tiltPeriod.
 * Its outputs:rotateXYZ drives the cube's xformOp:rotateXYZ (see
 * spinning_cube.usda). Build and run: docs/modules.md. */
#include <math.h>
#include <portalis/guest/portalis.h>

/* -1 until setup() runs: a handle that was never looked up traps with
 * "invalid handle -1" instead of reading some other prim's channel. */
static portalis_attr_t rate = -1, tilt = -1, period = -1, rotate = -1;

/* Runs once at load (from the _initialize that -mexec-model=reactor adds). */
PORTALIS_INIT static void setup(void) {
    rate = PORTALIS_ATTR("inputs:degreesPerSecond");
    tilt = PORTALIS_ATTR("inputs:tiltDegrees");
    period = PORTALIS_ATTR("inputs:tiltPeriod");
    rotate = PORTALIS_ATTR("outputs:rotateXYZ");
    if (rate < 0 || tilt < 0 || period < 0 || rotate < 0)
        PORTALIS_LOG("spinning_cube needs inputs:degreesPerSecond, inputs:tiltDegrees, inputs:tiltPeriod and "
                     "outputs:rotateXYZ");
}

/* The angles are functions of time, so skipped or repeated frames never
 * make them drift. The inputs are read every call: animate them and the
 * cube follows. */
PORTALIS_EXPORT("update") void update(double time, double dt) {
    (void)dt;
    double spin = fmod(portalis_get_f64(rate) * time, 360.0);
    double rock = portalis_get_f64(tilt) * sin(2.0 * M_PI * time / portalis_get_f64(period));
    portalis_set_vec3(rotate, rock, 0.0, spin);
}
