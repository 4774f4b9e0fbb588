#!/usr/bin/env python3
"""Projectile motion under constant gravity, no drag: the plain Python
reference for the Portalis projectile demonstration.

The projectile is launched from the origin with speed v (m/s) at `angle`
degrees above the horizontal, in the x-z plane of a Z-up stage, and stops
where it lands on the ground (z = 0). Positions are
(x, y, z) tuples in metres with y == 0. The C and Rust modules in this folder
compute exactly the same formulas; tests compare them to this file."""
import math
import sys

GRAVITY = 9.81  # m/s^2


def landing_time(v, a):
    """Time the projectile is back on the ground (z = 0), a in radians; it
    stays where it landed afterwards instead of falling through."""
    tf = 2.0 * v * math.sin(a) / GRAVITY
    return tf if tf > 0.0 else 0.0


def calculate_trajectory(v, angle, t):
    """Position (x, y, z) at time t seconds after launch; from landing on,
    the landing point (z = 0)."""
    a = math.radians(angle)
    tl = landing_time(v, a)
    if t >= tl:
        return (v * math.cos(a) * tl, 0.0, 0.0)
    x = v * math.cos(a) * t
    z = v * math.sin(a) * t - 0.5 * GRAVITY * t * t
    return (x, 0.0, z)


def calculate_max_height(v, angle):
    """Apex height above the launch point."""
    s = v * math.sin(math.radians(angle))
    return s * s / (2.0 * GRAVITY)


def calculate_range(v, angle):
    """Horizontal distance travelled when back at launch height."""
    return v * v * math.sin(2.0 * math.radians(angle)) / GRAVITY


def calculate_flight_time(v, angle):
    """Time until the projectile is back at launch height."""
    return 2.0 * v * math.sin(math.radians(angle)) / GRAVITY


def reference_table(n_v=12, n_angle=15, n_t=10):
    """(v, angle, t, x, y, z, max_height, range) rows on a grid; used by tests."""
    rows = []
    for i in range(n_v):
        v = 1.0 + i * 7.3
        for j in range(n_angle):
            angle = 1.0 + j * 88.0 / (n_angle - 1)
            for k in range(n_t):
                t = k * 0.37
                x, y, z = calculate_trajectory(v, angle, t)
                rows.append((v, angle, t, x, y, z, calculate_max_height(v, angle), calculate_range(v, angle)))
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        for r in reference_table():
            print(" ".join(repr(float(c)) for c in r))
    else:
        print("trajectory(20, 45, 1) =", calculate_trajectory(20.0, 45.0, 1.0))
        print("max height(20, 45)   =", calculate_max_height(20.0, 45.0))
        print("range(20, 45)        =", calculate_range(20.0, 45.0))
