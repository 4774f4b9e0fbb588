/* An example graph with a nested, shared definition, for `portalis graph
 * --example` and the tests:
 *
 *   top: physics -> writer, sensors -> writer
 *   physics  (sim.def.physics, parallel): body_a, body_b -> solve
 *   sensors  (sim.def.sensors):           lidar -> fuse, camera -> fuse, probe
 *   body_a, body_b, probe share sim.def.rigid_body: integrate -> collide
 */
#include "ef_internal.h"

static ef_status noop(ef_task *t, void *user) {
    (void)t;
    (void)user;
    return EF_SUCCESS;
}

static ef_node *add(ef_builder *b, const char *name, ef_def *d, ef_node *after, ef_node *after2) {
    ef_node *n = ef_builder_add(b, name, d);
    if (!n) return NULL;
    ef_builder_connect(b, after ? after : ef_builder_root(b), n);
    if (after2) ef_builder_connect(b, after2, n);
    return n;
}

ef_graph *ef_example_graph(void) {
    ef_executor_desc par = {EF_VISIT_ALL_PARENTS, EF_SCHED_PARALLEL, 0, NULL, NULL};
    ef_graph *g = ef_graph_create("portalis.def.execution", &par);
    ef_def *op = ef_def_opaque("sim.def.step", noop, NULL, EF_HINT_PARALLEL);
    ef_def *io = ef_def_opaque("sim.def.write", noop, NULL, EF_HINT_SERIAL);
    ef_def *body = ef_def_graph("sim.def.rigid_body", NULL);
    ef_def *phys = ef_def_graph("sim.def.physics", &par);
    ef_def *sens = ef_def_graph("sim.def.sensors", &par);
    ef_graph *result = NULL;
    if (!g || !op || !io || !body || !phys || !sens) goto out;
    ef_builder *b = ef_builder_begin(body, 1);
    ef_node *integ = add(b, "integrate", op, NULL, NULL);
    add(b, "collide", op, integ, NULL);
    ef_builder_end(b);

    b = ef_builder_begin(phys, 1);
    ef_node *ba = add(b, "body_a", body, NULL, NULL);
    ef_node *bb = add(b, "body_b", body, NULL, NULL);
    add(b, "solve", op, ba, bb);
    ef_builder_end(b);

    b = ef_builder_begin(sens, 1);
    ef_node *li = add(b, "lidar", op, NULL, NULL);
    ef_node *ca = add(b, "camera", op, NULL, NULL);
    add(b, "fuse", op, li, ca);
    add(b, "probe", body, NULL, NULL);
    ef_builder_end(b);

    b = ef_builder_begin(ef_graph_top(g), 1);
    ef_node *p = add(b, "physics", phys, NULL, NULL);
    ef_node *s = add(b, "sensors", sens, NULL, NULL);
    add(b, "writer", io, p, s);
    ef_builder_end(b);
    result = g;
    g = NULL;
out:
    ef_def_release(op);
    ef_def_release(io);
    ef_def_release(body);
    ef_def_release(phys);
    ef_def_release(sens);
    ef_graph_free(g);
    return result;
}
