/* OpenVDB files of a density field, through Debian's libopenvdb (C++,
 * fluid_vdb.cpp), for fluid_export.c. */
#ifndef FLUID_VDB_H
#define FLUID_VDB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes d (nx * ny * nz values, x fastest) as the float grid "density" of
 * a new .vdb file at path: voxel size h, voxel (i, j, k) centred at
 * ((i + 0.5) h, (j + 0.5) h, (k + 0.5) h), values <= 0 left inactive
 * (background 0). Then reads the file back and compares every voxel with d;
 * *voxels and *integral (sum of value * h^3) are counted over the active
 * voxels of the grid read back. Returns 0, or -1 with a message in err. */
int fluid_vdb_write(const char *path, const double *d, int nx, int ny, int nz, double h, size_t *voxels,
                    double *integral, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
