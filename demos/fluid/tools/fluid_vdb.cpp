// fluid_vdb.h: the density field as an OpenVDB float grid (libopenvdb).
#include "fluid_vdb.h"

#include <openvdb/openvdb.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

namespace {

openvdb::FloatGrid::Ptr make_grid(const double *d, int nx, int ny, int nz, double h) {
    openvdb::FloatGrid::Ptr grid = openvdb::FloatGrid::create(0.0f);
    grid->setName("density");
    grid->setGridClass(openvdb::GRID_FOG_VOLUME);
    openvdb::math::Transform::Ptr xf = openvdb::math::Transform::createLinearTransform(h);
    xf->postTranslate(openvdb::Vec3d(0.5 * h, 0.5 * h, 0.5 * h));
    grid->setTransform(xf);
    openvdb::FloatGrid::Accessor acc = grid->getAccessor();
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                double v = d[i + (size_t)nx * (j + (size_t)ny * k)];
                if (v > 0) acc.setValue(openvdb::Coord(i, j, k), (float)v);
            }
    return grid;
}

// The largest difference between the file's grid and d (as floats); the
// active voxels of the file's grid and the sum of their values.
double read_back(const std::string &path, const double *d, int nx, int ny, int nz, size_t *voxels, double *sum) {
    openvdb::io::File file(path);
    file.open();
    openvdb::GridBase::Ptr base = file.readGrid("density");
    file.close();
    openvdb::FloatGrid::Ptr grid = openvdb::gridPtrCast<openvdb::FloatGrid>(base);
    if (!grid) return INFINITY;
    *voxels = 0;
    *sum = 0;
    for (openvdb::FloatGrid::ValueOnCIter it = grid->cbeginValueOn(); it; ++it) {
        *voxels += 1;
        *sum += (double)*it;
    }
    openvdb::FloatGrid::ConstAccessor acc = grid->getConstAccessor();
    double worst = 0;
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                double v = d[i + (size_t)nx * (j + (size_t)ny * k)];
                double want = v > 0 ? (double)(float)v : 0.0;
                worst = std::fmax(worst, std::fabs(acc.getValue(openvdb::Coord(i, j, k)) - want));
            }
    return worst;
}

} // namespace

extern "C" int fluid_vdb_write(const char *path, const double *d, int nx, int ny, int nz, double h, size_t *voxels,
                               double *integral, char *err, size_t errlen) {
    try {
        openvdb::initialize();
        openvdb::GridPtrVec grids;
        grids.push_back(make_grid(d, nx, ny, nz, h));
        std::string tmp = std::string(path) + ".tmp";
        openvdb::io::File(tmp).write(grids);
        if (std::rename(tmp.c_str(), path) != 0) {
            std::snprintf(err, errlen, "%s: cannot rename %s", path, tmp.c_str());
            return -1;
        }
        double sum = 0;
        double worst = read_back(path, d, nx, ny, nz, voxels, &sum);
        *integral = sum * h * h * h;
        if (!(worst == 0)) {
            std::snprintf(err, errlen, "%s: reads back with a voxel off by %g", path, worst);
            return -1;
        }
        return 0;
    } catch (const std::exception &e) {
        std::snprintf(err, errlen, "%s: OpenVDB: %s", path, e.what());
        return -1;
    }
}
