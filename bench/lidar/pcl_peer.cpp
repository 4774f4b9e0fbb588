// The native peer of the LiDAR filter: PCL's CropBox + VoxelGrid +
// StatisticalOutlierRemoval on the clouds lidar_native dumped (run.sh).
// usage: pcl_peer PREFIX FRAMES  (reads PREFIX.N.bin: 102,400 x 3 doubles)
// The range gate (|p - origin| >= 1 m, which drops the no-return points at
// the sensor origin) has no PCL filter; it is the same loop as ours and is
// timed with the rest. Parameters as in demos/lidar/lidar.usda.in.
#include <ctime>
#include <cstdio>
#include <vector>

#include <pcl/filters/crop_box.h>
#include <pcl/filters/statistical_outlier_removal.h>
#include <pcl/filters/voxel_grid.h>
#include <pcl/point_types.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: pcl_peer PREFIX FRAMES\n");
        return 2;
    }
    const int frames = std::atoi(argv[2]);
    const size_t rays = 102400;
    std::vector<double> raw(3 * rays);
    double total_ms = 0;
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
    }
    std::printf("PCL native: filter %.2f ms/frame CPU (%d frames)\n", total_ms / frames, frames);
    return 0;
}
