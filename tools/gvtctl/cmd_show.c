// SPDX-License-Identifier: MIT
/* gvtctl show ID: one vGPU's state, memory, fences and counters. */
#include <stdio.h>

#include "gvtctl.h"

#define MiB (1ull << 20)

static unsigned long long u(const struct json *j, const char *key)
{
	return (unsigned long long)json_get_u64(j, key, 0);
}

int cmd_show(struct gvtctl *g, int argc, char **argv)
{
	const char *words[] = { "show", argc == 2 ? argv[1] : "" };
	const struct json *fences, *s;
	struct json *r;
	int ret;

	if (argc != 2)
		return gvtctl_usage(g, "show ID");
	ret = gvtctl_callv(g, words, 2, &r);
	if (ret || g->json) {
		json_free(r);
		return ret;
	}
	s = json_get(r, "stats");
	printf("vgpu%llu  %s  %s%s\n", u(r, "id"), json_get_str(r, "type", "?"),
	       json_get_str(r, "state", "?"),
	       json_get_bool(r, "tracing", false) ? "  (tracing)" : "");
	if (json_get_str(r, "failsafe_reason", "")[0])
		printf("  failsafe:    %s\n", json_get_str(r, "failsafe_reason", ""));
	printf("  aperture:    [0x%llx, 0x%llx)  %llu MiB\n", u(r, "aperture_base"),
	       u(r, "aperture_base") + u(r, "aperture_size"),
	       u(r, "aperture_size") / MiB);
	printf("  hidden:      [0x%llx, 0x%llx)  %llu MiB\n", u(r, "hidden_base"),
	       u(r, "hidden_base") + u(r, "hidden_size"), u(r, "hidden_size") / MiB);
	printf("  fences:     ");
	fences = json_get(r, "fences");
	for (size_t i = 0; fences && i < fences->n; i++)
		printf(" %llu", (unsigned long long)fences->items[i]->u);
	printf("\n  guest:       GVT-aware %s, display ready %s, %llu PPGTTs\n",
	       json_get_bool(r, "pv_notified", false) ? "yes" : "no",
	       json_get_bool(r, "display_ready", false) ? "yes" : "no",
	       u(r, "ppgtts"));
	if (json_get_bool(r, "msi_enabled", false))
		printf("  msi:         enabled, address 0x%llx data 0x%llx\n",
		       u(r, "msi_addr"), u(r, "msi_data"));
	else
		printf("  msi:         disabled\n");
	printf("  mmio:        %llu reads, %llu writes\n", u(s, "mmio_reads"),
	       u(s, "mmio_writes"));
	printf("  config:      %llu reads, %llu writes\n", u(s, "cfg_reads"),
	       u(s, "cfg_writes"));
	printf("  ggtt:        %llu writes (%llu dropped, %llu map failures), %llu reads, %llu pages mapped\n",
	       u(s, "ggtt_writes"), u(s, "ggtt_writes_dropped"),
	       u(s, "ggtt_map_failures"), u(s, "ggtt_reads"), u(r, "ggtt_mapped"));
	printf("  ppgtt:       %llu shadow tables (%s), %llu built, %llu entry updates, %llu re-validations, %llu map failures\n",
	       u(r, "ppgtt_tables"),
	       json_get_bool(r, "ppgtt_write_protect", false) ?
		       "write-protected" : "re-validated at submission",
	       u(s, "ppgtt_tables_shadowed"), u(s, "ppgtt_entry_updates"),
	       u(s, "ppgtt_revalidations"), u(s, "ppgtt_map_failures"));
	printf("  dma:         %llu guest frames mapped for %llu entries\n",
	       u(r, "dma_mappings"), u(r, "dma_refs"));
	printf("  aperture io: %llu reads, %llu writes (%llu outside its slice)\n",
	       u(s, "aperture_reads"), u(s, "aperture_writes"),
	       u(s, "aperture_dropped"));
	printf("  interrupts:  %llu MSIs delivered, %llu failed\n",
	       u(s, "msi_injected"), u(s, "msi_failed"));
	printf("  guest:       %llu rule breaks, %llu resets, %llu page writes\n",
	       u(s, "guest_errors"), u(s, "resets"), u(s, "page_writes"));
	printf("  scanner:     %llu workloads scanned (%llu refused), %llu dwords; %.1f us to shadow a workload\n",
	       u(s, "cmd_scans"), u(s, "cmd_refusals"), u(s, "cmd_dwords"),
	       u(s, "workloads_shadowed") ?
		       (double)u(s, "shadow_ns") / (double)u(s, "workloads_shadowed") / 1e3 :
		       0.0);
	json_free(r);
	return EXIT_OK;
}
