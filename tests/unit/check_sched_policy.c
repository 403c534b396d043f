// SPDX-License-Identifier: MIT
/*
 * The scheduling policy on a virtual clock: an engine that runs whoever
 * pick() names until the slice ends, loses 180 us per switch between
 * different clients, and charges exactly what ran.
 */
#include <string.h>

#include "harness.h"
#include "sched_policy.h"

#define MS 1000000ull
#define SWITCH_NS 180000ull

static struct gvt_sched_rq rq;
static struct gvt_sched_client cl[GVT_SCHED_MAX_CLIENTS + 1];
static uint64_t now;

static void setup(void)
{
	gvt_sched_rq_init(&rq, NULL);
	memset(cl, 0, sizeof(cl));
	now = 0;
}

static void add(unsigned int i, unsigned int weight, bool runnable)
{
	cl[i].weight = weight;
	ck_assert_int_eq(gvt_sched_add(&rq, &cl[i], now), 0);
	gvt_sched_set_runnable(&rq, &cl[i], runnable, now);
}

/* Run the engine until @until; an overrun of @overrun_ns past every slice
 * end models a late arbitration point. */
static void run(uint64_t until, uint64_t overrun_ns)
{
	const struct gvt_sched_client *loaded = rq.loaded;

	while (now < until) {
		uint64_t end;
		struct gvt_sched_client *x = gvt_sched_pick(&rq, now, &end);

		if (!x) {
			now = until;
			break;
		}
		if (x != loaded) {
			now += SWITCH_NS;
			loaded = x;
		}
		end = end > now ? end + overrun_ns : now + overrun_ns + 1;
		if (end > until)
			end = until;
		gvt_sched_charge(&rq, x, end - now, end);
		now = end;
	}
}

static uint64_t busy[GVT_SCHED_MAX_CLIENTS];

static void mark(void)
{
	for (unsigned int i = 0; i < GVT_SCHED_MAX_CLIENTS; i++)
		busy[i] = cl[i].busy_ns;
}

/* @i's share of the engine time charged since mark(), among @n clients. */
static double share_since_mark(unsigned int i, unsigned int n)
{
	uint64_t total = 0;

	for (unsigned int k = 0; k < n; k++)
		total += cl[k].busy_ns - busy[k];
	return (double)(cl[i].busy_ns - busy[i]) / (double)total;
}

static void assert_share(unsigned int i, unsigned int n, double ideal,
			 double tolerance)
{
	double share = share_since_mark(i, n);

	ck_assert_msg(share > ideal * (1 - tolerance) &&
			      share < ideal * (1 + tolerance),
		      "client %u: share %.4f, ideal %.4f", i, share, ideal);
}

START_TEST(test_sched_policy_shares_match_weights)
{
	add(0, 8, true);
	add(1, 4, true);
	add(2, 2, true);
	run(1000 * MS, 0);
	mark();
	run(11000 * MS, 0);
	assert_share(0, 3, 8.0 / 14, 0.005);
	assert_share(1, 3, 4.0 / 14, 0.005);
	assert_share(2, 3, 2.0 / 14, 0.005);
	for (unsigned int i = 0; i < 3; i++)
		ck_assert_uint_le(cl[i].waited_max_ns, rq.params.max_wait_ns);
}
END_TEST

/* Late preemption: each slice overruns by 2 ms, more than the lightest
 * client's quantum. The debt is paid back, so shares stay exact. */
START_TEST(test_sched_policy_overrun_is_paid_back)
{
	add(0, 8, true);
	add(1, 4, true);
	add(2, 1, true);
	run(1000 * MS, 2 * MS);
	mark();
	run(11000 * MS, 2 * MS);
	assert_share(0, 3, 8.0 / 13, 0.01);
	assert_share(1, 3, 4.0 / 13, 0.01);
	assert_share(2, 3, 1.0 / 13, 0.01);
}
END_TEST

/* A client 1000 times lighter than another still runs: a quantum under
 * min_slice is saved up for a min_slice turn every few rounds, so it gets
 * its exact share, in slices worth a switch. */
START_TEST(test_sched_policy_no_starvation)
{
	add(0, 1000, true);
	for (unsigned int i = 1; i < GVT_SCHED_MAX_CLIENTS; i++)
		add(i, 1, true);
	run(1000 * MS, 0);
	mark();
	run(11000 * MS, 0);
	for (unsigned int i = 1; i < GVT_SCHED_MAX_CLIENTS; i++) {
		ck_assert_uint_ge(cl[i].switches_in, 8);
		assert_share(i, GVT_SCHED_MAX_CLIENTS, 1.0 / 1015, 0.15);
	}
	assert_share(0, GVT_SCHED_MAX_CLIENTS, 1000.0 / 1015, 0.001);
}
END_TEST

/* Sixteen equal clients: quanta under min_slice, so the wait bound gives
 * way to min_slice turns, but no more than that. */
START_TEST(test_sched_policy_many_equal_clients)
{
	for (unsigned int i = 0; i < GVT_SCHED_MAX_CLIENTS; i++)
		add(i, 2, true);
	run(1000 * MS, 0);
	mark();
	run(6000 * MS, 0);
	for (unsigned int i = 0; i < GVT_SCHED_MAX_CLIENTS; i++) {
		assert_share(i, GVT_SCHED_MAX_CLIENTS, 1.0 / 16, 0.02);
		ck_assert_uint_le(cl[i].waited_max_ns,
				  (GVT_SCHED_MAX_CLIENTS - 1) *
					  (2 * rq.params.min_slice_ns + SWITCH_NS));
	}
}
END_TEST

START_TEST(test_sched_policy_weight_change_takes_effect)
{
	add(0, 1, true);
	add(1, 1, true);
	run(2000 * MS, 0);
	ck_assert_int_eq(gvt_sched_set_weight(&rq, &cl[0], 3, now), 0);
	run(2020 * MS, 0);	/* one round for the change to settle */
	mark();
	run(6020 * MS, 0);
	assert_share(0, 2, 0.75, 0.01);
	assert_share(1, 2, 0.25, 0.03);
	/* And down again: the owner's quantum is cut at once. */
	ck_assert_int_eq(gvt_sched_set_weight(&rq, &cl[0], 1, now), 0);
	ck_assert_int_le(cl[0].credit_ns, (int64_t)rq.params.period_ns / 2);
	run(6040 * MS, 0);
	mark();
	run(10040 * MS, 0);
	assert_share(0, 2, 0.5, 0.01);
}
END_TEST

/* A client that becomes runnable at any moment gets the engine within
 * max_wait, and the owner's longer quantum is cut to make it so. */
START_TEST(test_sched_policy_wake_waits_at_most_max_wait)
{
	add(0, 4, true);
	add(1, 1, true);
	add(2, 2, false);
	run(100 * MS, 0);
	for (unsigned int k = 0; k < 50; k++) {
		uint64_t woke;

		run(now + 7 * MS + k * 331000, 0);	/* arbitrary phases */
		woke = now;
		cl[2].waited_max_ns = 0;
		gvt_sched_set_runnable(&rq, &cl[2], true, now);
		while (rq.owner != &cl[2])
			run(now + 100000, 0);
		ck_assert_uint_le(now - woke, rq.params.max_wait_ns);
		ck_assert_uint_le(cl[2].waited_max_ns, rq.params.max_wait_ns);
		run(now + 30 * MS, 0);
		gvt_sched_set_runnable(&rq, &cl[2], false, now);
	}
}
END_TEST

/* Asleep for 5 s, a client comes back with no more than one quantum of
 * credit: it gets its share from then on, not a catch-up. */
START_TEST(test_sched_policy_idle_banks_no_credit)
{
	add(0, 1, true);
	add(1, 1, true);
	run(1000 * MS, 0);
	gvt_sched_set_runnable(&rq, &cl[1], false, now);
	run(6000 * MS, 0);
	ck_assert_int_le(cl[1].credit_ns, (int64_t)rq.params.period_ns);
	gvt_sched_set_runnable(&rq, &cl[1], true, now);
	mark();
	run(now + 100 * MS, 0);
	ck_assert_double_le(share_since_mark(1, 2), 0.55);
	ck_assert_double_ge(share_since_mark(0, 2), 0.45);
	mark();
	run(now + 1000 * MS, 0);
	assert_share(1, 2, 0.5, 0.02);
}
END_TEST

START_TEST(test_sched_policy_remove_owner)
{
	struct gvt_sched_client *x;
	uint64_t end;

	add(0, 1, true);
	add(1, 1, true);
	add(2, 1, true);
	x = gvt_sched_pick(&rq, now, &end);
	ck_assert_ptr_nonnull(x);
	gvt_sched_remove(&rq, x);
	ck_assert_ptr_null(rq.owner);
	ck_assert_ptr_null(rq.loaded);
	ck_assert_uint_eq(rq.num_clients, 2);
	for (unsigned int k = 0; k < 100; k++) {
		struct gvt_sched_client *y = gvt_sched_pick(&rq, now, &end);

		ck_assert_ptr_nonnull(y);
		ck_assert_ptr_ne(y, x);
		now = end;
		gvt_sched_charge(&rq, y, 1 * MS, now);
	}
	/* Removing a client that is not in the queue does nothing. */
	gvt_sched_remove(&rq, x);
	ck_assert_uint_eq(rq.num_clients, 2);
}
END_TEST

START_TEST(test_sched_policy_nothing_runnable_is_null)
{
	uint64_t end = 0;

	ck_assert_ptr_null(gvt_sched_pick(&rq, now, &end));
	ck_assert_uint_eq(end, UINT64_MAX);
	add(0, 1, false);
	add(1, 2, false);
	ck_assert_ptr_null(gvt_sched_pick(&rq, now, &end));
	gvt_sched_set_runnable(&rq, &cl[1], true, now);
	ck_assert_ptr_eq(gvt_sched_pick(&rq, now, &end), &cl[1]);
	ck_assert_uint_lt(end, UINT64_MAX);
	gvt_sched_set_runnable(&rq, &cl[1], false, now);
	ck_assert_ptr_null(gvt_sched_pick(&rq, now, &end));
	ck_assert_ptr_null(rq.owner);
}
END_TEST

START_TEST(test_sched_policy_params)
{
	struct gvt_sched_params p;

	gvt_sched_params_default(&p);
	ck_assert_uint_gt(p.period_ns, 0);
	ck_assert_uint_le(p.max_wait_ns, 16700000);
	cl[0].weight = 0;
	ck_assert_int_eq(gvt_sched_add(&rq, &cl[0], now), -EINVAL);
	for (unsigned int i = 0; i < GVT_SCHED_MAX_CLIENTS; i++)
		add(i, 1, false);
	cl[GVT_SCHED_MAX_CLIENTS].weight = 1;
	ck_assert_int_eq(gvt_sched_add(&rq, &cl[GVT_SCHED_MAX_CLIENTS], now),
			 -ENOSPC);
	ck_assert_int_eq(gvt_sched_set_weight(&rq, &cl[0], 0, now), -EINVAL);
	ck_assert_uint_eq(cl[0].weight, 1);
}
END_TEST

Suite *sched_policy_suite(void)
{
	Suite *s = suite_create("sched_policy");
	TCase *tc = tcase_create("sched_policy");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_sched_policy_shares_match_weights);
	tcase_add_test(tc, test_sched_policy_overrun_is_paid_back);
	tcase_add_test(tc, test_sched_policy_no_starvation);
	tcase_add_test(tc, test_sched_policy_many_equal_clients);
	tcase_add_test(tc, test_sched_policy_weight_change_takes_effect);
	tcase_add_test(tc, test_sched_policy_wake_waits_at_most_max_wait);
	tcase_add_test(tc, test_sched_policy_idle_banks_no_credit);
	tcase_add_test(tc, test_sched_policy_remove_owner);
	tcase_add_test(tc, test_sched_policy_nothing_runnable_is_null);
	tcase_add_test(tc, test_sched_policy_params);
	suite_add_tcase(s, tc);
	return s;
}
