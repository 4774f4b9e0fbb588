/* The end-effector target of the robot arm scene: a figure-eight
 * (lemniscate of Gerono) in the plane x = cx, as a pure function
 * (docs/abi.md (b)):
 *   figure_eight(cx, cy, cz, ay, az, period, t) -> 3 f64
 *   y = cy + ay sin(w t), z = cz + az sin(2 w t), w = 2 pi / period. */
#include <math.h>

#include <portalis/guest/portalis.h>

static double point[3];

PORTALIS_EXPORT("figure_eight")
double *figure_eight(double cx, double cy, double cz, double ay, double az, double period, double t) {
    double w = period > 0.0 ? 2.0 * 3.141592653589793 / period : 0.0;
    point[0] = cx;
    point[1] = cy + ay * sin(w * t);
    point[2] = cz + az * sin(2.0 * w * t);
    return point;
}
