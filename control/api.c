// SPDX-License-Identifier: MIT
/* JSON bodies of GET /v1/status and GET /v1/devices. */
#include "render.h"

#define ADD(o, k, v) json_object_object_add(o, k, v)
#define INT(v) json_object_new_int64((int64_t)(v))

static struct json_object *features_json(struct rl_engine *e)
{
	struct json_object *in_use = json_object_new_array(), *off = json_object_new_object();
	struct json_object *o = json_object_new_object();
	unsigned feats = rl_engine_features(e);

	for (unsigned f = 1; f < 1u << RL_FEAT_COUNT; f <<= 1) {
		if (feats & f)
			json_object_array_add(in_use, json_object_new_string(rl_feature_name(f)));
		else
			ADD(off, rl_feature_name(f),
			    json_object_new_string(rl_engine_feature_note(e, f)));
	}
	ADD(o, "in_use", in_use);
	ADD(o, "not_in_use", off); /* feature -> why */
	return o;
}

static struct json_object *target_json(struct rl_target *t)
{
	struct json_object *o = json_object_new_object(), *ops = json_object_new_object();
	struct rl_op_stats st;

	ADD(o, "name", json_object_new_string(rl_target_name(t)));
	ADD(o, "engine_path", json_object_new_string(rl_target_engine_path(t)));
	ADD(o, "inflight", INT(rl_target_inflight(t)));
	for (int op = 0; op < RL_OP_COUNT; op++) {
		struct json_object *s = json_object_new_object();

		rl_target_stats(t, op, &st);
		ADD(s, "ops", INT(st.ops));
		ADD(s, "bytes", INT(st.bytes));
		ADD(s, "errors", INT(st.errors));
		ADD(ops, rl_op_name(op), s);
	}
	ADD(o, "ops", ops);
	return o;
}

struct json_object *ctl__status_json(struct rl_engine *e, const struct ctl_stats *st)
{
	struct json_object *o = json_object_new_object(), *slab = json_object_new_object();
	struct json_object *conns = json_object_new_object(), *targets = json_object_new_array();
	const struct rl_net_stats *ns = &st->net;

	ADD(o, "version", json_object_new_string(RINGLINE_VERSION));
	ADD(o, "uptime_s", json_object_new_double(st->uptime_s));
	ADD(o, "ring_features", features_json(e));
	ADD(slab, "capacity", INT(rl_engine_capacity(e)));
	ADD(slab, "in_use", INT(rl_engine_inflight(e)));
	ADD(o, "slab", slab);
	ADD(o, "fixed_files_in_use", INT(rl_engine_files_in_use(e)));
	ADD(o, "stale_cqes", INT(rl_engine_stale_cqes(e)));
	ADD(conns, "open", INT(ns->conns));
	ADD(conns, "accepted", INT(ns->accepted));
	ADD(conns, "refused", INT(ns->refused));
	ADD(conns, "idle_closed", INT(ns->idle_closed));
	ADD(conns, "send_queued_bytes", INT(ns->send_queued));
	ADD(conns, "send_pool_bytes", INT(ns->send_pool));
	ADD(conns, "receive_buffers_free", INT(ns->bufs_free));
	ADD(conns, "receive_buffers", INT(ns->bufs));
	ADD(o, "connections", conns);
	for (struct rl_target *t = rl_engine_next_target(e, NULL); t;
	     t = rl_engine_next_target(e, t))
		json_object_array_add(targets, target_json(t));
	ADD(o, "targets", targets);
	return o;
}

struct json_object *ctl__devices_json(struct rl_engine *e)
{
	struct json_object *a = json_object_new_array();

	for (struct rl_target *t = rl_engine_next_target(e, NULL); t;
	     t = rl_engine_next_target(e, t)) {
		struct rl_nvme_dev *d = rl_target_nvme(t);
		struct json_object *o;

		/* NVMe: the fields of `ringline identify --json`; files: what O_DIRECT uses. */
		if (d) {
			o = ctl_nvme_info_json(rl_target_name(t), rl_nvme_info(d), rl_nvme_zns(d));
		} else {
			o = json_object_new_object();
			ADD(o, "device", json_object_new_string(rl_target_name(t)));
			ADD(o, "size_bytes", INT(rl_target_size(t)));
			ADD(o, "block_size", INT(rl_target_block_size(t)));
			ADD(o, "mem_align", INT(rl_target_mem_align(t)));
		}
		ADD(o, "engine_path", json_object_new_string(rl_target_engine_path(t)));
		ADD(o, "removed", json_object_new_boolean(rl_target_removed(t)));
		json_object_array_add(a, o);
	}
	return a;
}
