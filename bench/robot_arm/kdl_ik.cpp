// The native peer of the robot arm benchmark (bench.sh): Orocos KDL's
// ChainIkSolverPos_LMA on the same UR5e DH chain, from the same home pose,
// on the same targets (one "x y z" per line on stdin). Position only: the
// task-space weights are (1, 1, 1, 0, 0, 0). Success is checked as the
// modules' is: forward kinematics of the result within 1e-6 m of the target.
// Prints one JSON object. Built by bench.sh only (liborocos-kdl-dev):
//   g++ -O2 kdl_ik.cpp $(pkg-config --cflags --libs orocos-kdl) -o kdl_ik
//   kdl_ik EPS < targets.txt
#include <kdl/chain.hpp>
#include <kdl/chainfksolverpos_recursive.hpp>
#include <kdl/chainiksolverpos_lma.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

static double now_ns() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
    double eps = argc > 1 ? std::atof(argv[1]) : 1e-20;  // on the squared error: 1e-20 is 1e-10 m
    const double a[6] = {0.0, -0.425, -0.3922, 0.0, 0.0, 0.0};
    const double d[6] = {0.1625, 0.0, 0.0, 0.1333, 0.0997, 0.0996};
    const double alpha[6] = {M_PI / 2, 0.0, 0.0, M_PI / 2, -M_PI / 2, 0.0};
    const double home[6] = {0.0, -M_PI / 2, M_PI / 2, -M_PI / 2, -M_PI / 2, 0.0};
    KDL::Chain chain;
    for (int i = 0; i < 6; i++)
        chain.addSegment(KDL::Segment(KDL::Joint(KDL::Joint::RotZ), KDL::Frame::DH(a[i], alpha[i], d[i], 0.0)));
    Eigen::Matrix<double, 6, 1> w;
    w << 1, 1, 1, 0, 0, 0;
    KDL::ChainIkSolverPos_LMA ik(chain, w, eps, 500);
    KDL::ChainFkSolverPos_recursive fk(chain);
    KDL::JntArray q0(6), q(6);
    for (int i = 0; i < 6; i++)
        q0(i) = home[i];
    std::vector<double> times;
    double x, y, z;
    int ok = 0, in_limits = 0;
    while (std::scanf("%lf %lf %lf", &x, &y, &z) == 3) {
        KDL::Frame goal(KDL::Vector(x, y, z));
        double t0 = now_ns();
        ik.CartToJnt(q0, goal, q);
        times.push_back(now_ns() - t0);
        KDL::Frame f;
        fk.JntToCart(q, f);
        if ((f.p - goal.p).Norm() <= 1e-6)
            ok++;
        bool lim = true;
        for (int i = 0; i < 6; i++)
            lim = lim && std::fabs(q(i)) <= 2 * M_PI;
        in_limits += lim;
    }
    size_t n = times.size();
    if (n == 0)
        return 1;
    double sum = 0;
    for (double t : times)
        sum += t;
    std::sort(times.begin(), times.end());
    std::printf("{\"n\": %zu, \"eps\": %g, \"reached\": %d, \"within_limits\": %d, \"mean_ns\": %.1f, "
                "\"p50_ns\": %.1f, \"p99_ns\": %.1f}\n",
                n, eps, ok, in_limits, sum / n, times[n / 2], times[n * 99 / 100]);
    return 0;
}
