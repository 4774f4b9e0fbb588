// The native peer of the LiDAR filter: PCL's CropBox + VoxelGrid +
// StatisticalOutlierRemoval on the clouds lidar_native dumped (run.sh).
// usage: pcl_peer PREFIX FRAMES  (reads PREFIX.N.bin: 102,400 x 3 doubles,
// and PREFIX.N.out.bin: our filtered cloud, to measure the agreement of the
// outlier removals: per voxel, whether PCL and we keep it)
// The range gate (|p - origin| >= 1 m, which drops the no-return points at
// the sensor origin) has no PCL filter; it is the same loop as ours and is
// timed with the rest. Parameters as in demos/lidar/lidar.usda.in.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <unordered_set>
#include <vector>

#include <pcl/filters/crop_box.h>
#include <pcl/filters/statistical_outlier_removal.h>
#include <pcl/filters/voxel_grid.h>
#include <pcl/point_types.h>

// The voxel of a point (leaf 0.25 m; a centroid lies in its voxel).
static int64_t voxel(double x, double y, double z) {
    auto c = [](double v) { return int64_t(std::floor(v / 0.25)) + (1 << 20); };
    return c(x) << 42 | c(y) << 21 | c(z);
}

struct agreement {
    long both_keep = 0, both_drop = 0, pcl_only = 0, ours_only = 0, unmatched = 0;
};

// Our filtered cloud of frame k against PCL's voxels (vox) and the ones its
// outlier removal kept (out).
static bool compare(const char *prefix, int k, const pcl::PointCloud<pcl::PointXYZ> &vox,
                    const pcl::PointCloud<pcl::PointXYZ> &out, agreement &a) {
    char path[512];
    std::snprintf(path, sizeof path, "%s.%d.out.bin", prefix, k);
    FILE *fp = std::fopen(path, "rb");
    if (!fp)
        return false;
    std::unordered_set<int64_t> ours, pcl_kept, pcl_vox;
    double p[3];
    while (std::fread(p, sizeof(double), 3, fp) == 3)
        ours.insert(voxel(p[0], p[1], p[2]));
    std::fclose(fp);
    for (const auto &q : out)
        pcl_kept.insert(voxel(q.x, q.y, q.z));
    for (const auto &q : vox) {
        int64_t v = voxel(q.x, q.y, q.z);
        pcl_vox.insert(v);
        bool we = ours.count(v) != 0, they = pcl_kept.count(v) != 0;
        a.both_keep += we && they;
        a.both_drop += !we && !they;
        a.pcl_only += they && !we;
        a.ours_only += we && !they;
    }
    for (int64_t v : ours)
        a.unmatched += pcl_vox.count(v) == 0;
    return true;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: pcl_peer PREFIX FRAMES\n");
        return 2;
    }
    const int frames = std::atoi(argv[2]);
    const size_t rays = 102400;
    std::vector<double> raw(3 * rays);
    double total_ms = 0;
    agreement a;
    bool compared = true;
    for (int k = 0; k < frames; k++) {
        char path[512];
        std::snprintf(path, sizeof path, "%s.%d.bin", argv[1], k);
        FILE *fp = std::fopen(path, "rb");
        if (!fp || std::fread(raw.data(), sizeof(double), raw.size(), fp) != raw.size()) {
            std::fprintf(stderr, "pcl_peer: cannot read %s\n", path);
            return 1;
        }
        std::fclose(fp);
        pcl::PointCloud<pcl::PointXYZ>::Ptr in(new pcl::PointCloud<pcl::PointXYZ>), cropped(new pcl::PointCloud<pcl::PointXYZ>),
            vox(new pcl::PointCloud<pcl::PointXYZ>), out(new pcl::PointCloud<pcl::PointXYZ>);
        std::clock_t t0 = std::clock(); // CPU time: the machine may be shared
        in->reserve(rays);
        for (size_t i = 0; i < rays; i++) {
            double dx = raw[3 * i], dy = raw[3 * i + 1], dz = raw[3 * i + 2] - 1.8;
            if (dx * dx + dy * dy + dz * dz < 1.0)
                continue;
            in->push_back(pcl::PointXYZ(float(raw[3 * i]), float(raw[3 * i + 1]), float(raw[3 * i + 2])));
        }
        pcl::CropBox<pcl::PointXYZ> crop;
        crop.setMin(Eigen::Vector4f(-40, -40, -1, 1));
        crop.setMax(Eigen::Vector4f(40, 40, 6, 1));
        crop.setInputCloud(in);
        crop.filter(*cropped);
        pcl::VoxelGrid<pcl::PointXYZ> grid;
        grid.setLeafSize(0.25f, 0.25f, 0.25f);
        grid.setInputCloud(cropped);
        grid.filter(*vox);
        pcl::StatisticalOutlierRemoval<pcl::PointXYZ> sor;
        sor.setMeanK(8);
        sor.setStddevMulThresh(1.0);
        sor.setInputCloud(vox);
        sor.filter(*out);
        double ms = 1e3 * double(std::clock() - t0) / CLOCKS_PER_SEC;
        total_ms += ms;
        std::printf("frame %d: PCL %zu cropped, %zu voxels, %zu filtered, %.2f ms\n", k, cropped->size(), vox->size(),
                    out->size(), ms);
        compared = compared && compare(argv[1], k, *vox, *out, a);
    }
    std::printf("PCL native: filter %.2f ms/frame CPU (%d frames)\n", total_ms / frames, frames);
    if (compared) {
        long n = a.both_keep + a.both_drop + a.pcl_only + a.ours_only;
        std::printf("outlier removal vs PCL's (%d frames, %ld voxels): both keep %ld, both drop %ld, only PCL keeps %ld, "
                    "only we keep %ld: %.2f %% the same (%ld of our points in no PCL voxel)\n",
                    frames, n, a.both_keep, a.both_drop, a.pcl_only, a.ours_only,
                    100.0 * double(a.both_keep + a.both_drop) / double(n), a.unmatched);
    }
    return 0;
}
