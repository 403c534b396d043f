// SPDX-License-Identifier: MIT
/*
 * gvtctl doctor: what this host offers for GPU virtualization, and what is
 * missing with how to fix it. It answers GVT-g's most common reports ("no
 * vGPU types", "only one vGPU fits", "the VM does not start") before a VM
 * is involved.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gvt/gvt.h>

#include "gvtctl.h"

#define MiB (1ull << 20)

struct doctor {
	struct gvtctl *g;
	unsigned int n;
	unsigned int failed;
};

/* One finding: status is ok, warn, fail or info; fix may be NULL. */
__attribute__((format(printf, 5, 6)))
static void finding(struct doctor *d, const char *status, const char *what,
		    const char *fix, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!strcmp(status, "fail"))
		d->failed++;
	if (d->g->json) {
		printf("%s{\"check\":", d->n ? "," : "");
		gvtctl_json_str(stdout, what);
		printf(",\"status\":\"%s\",\"detail\":", status);
		gvtctl_json_str(stdout, detail);
		if (fix) {
			printf(",\"fix\":");
			gvtctl_json_str(stdout, fix);
		}
		printf("}");
	} else {
		printf("[%-4s] %-8s %s\n", status, what, detail);
		if (fix)
			printf("                -> %s\n", fix);
	}
	d->n++;
}

static void quiet(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	(void)msg;
}

/* Which types a GPU with this aperture admits, as "GVTg_V5_8 x7, ...". */
static int admitted_types(uint64_t aperture, char *out, size_t len)
{
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = (uint32_t)(aperture / MiB),
		.log_fn = quiet,
	};
	struct gvt_ctx *ctx;
	size_t used = 0;

	out[0] = '\0';
	if (gvt_ctx_create(&p, &ctx))
		return -EINVAL;
	for (unsigned int i = 0; i < gvt_ctx_num_types(ctx) && used < len; i++) {
		struct gvt_type_info t;

		if (gvt_ctx_get_type(ctx, i, &t) || !t.avail_instances)
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s x%u",
					 used ? ", " : "", t.name, t.avail_instances);
	}
	gvt_ctx_destroy(ctx);
	return 0;
}

static void check_gpus(struct doctor *d)
{
	struct gvt_host_gpu gpus[8];
	size_t n = 0;
	int ret = gvt_host_gpu_scan(gpus, 8, &n);

	if (ret == -EOPNOTSUPP) {
		finding(d, "info", "gpu", "rebuild with -DGVT_WITH_LIBPCI=ON (Debian: libpci-dev)",
			"libgvt was built without libpci: the PCI bus was not scanned");
		return;
	}
	if (ret) {
		finding(d, "warn", "gpu", NULL, "cannot read the PCI bus: %s", strerror(-ret));
		return;
	}
	if (!n)
		finding(d, "info", "gpu", NULL,
			"no Intel GPU on the PCI bus: vGPUs run on pgpu/sim, the software GPU");
	for (size_t i = 0; i < n && i < 8; i++) {
		char types[256];
		uint64_t ap = gpus[i].aperture_size;

		if (!gpus[i].platform) {
			finding(d, "warn", "gpu", NULL,
				"%04x:%02x:%02x.%u 8086:%04x rev %02x is not a platform libgvt mediates (Skylake GT2 is)",
				gpus[i].domain, gpus[i].bus, gpus[i].dev, gpus[i].func,
				gpus[i].device_id, gpus[i].revision);
			continue;
		}
		if (admitted_types(ap, types, sizeof(types))) {
			finding(d, "warn", "gpu",
				"set the aperture (\"DVMT\" / \"Aperture Size\") to 256, 512 or 1024 MiB in the firmware setup",
				"%04x:%02x:%02x.%u 8086:%04x: aperture of %llu MiB; GVT needs 256, 512 or 1024",
				gpus[i].domain, gpus[i].bus, gpus[i].dev, gpus[i].func,
				gpus[i].device_id, (unsigned long long)(ap / MiB));
			continue;
		}
		finding(d, ap < 1024 * MiB ? "warn" : "ok", "gpu",
			ap < 1024 * MiB ? "a 1024 MiB aperture in the firmware setup admits 7 vGPUs" : NULL,
			"%04x:%02x:%02x.%u 8086:%04x (Skylake GT2), aperture %llu MiB: admits %s",
			gpus[i].domain, gpus[i].bus, gpus[i].dev, gpus[i].func,
			gpus[i].device_id, (unsigned long long)(ap / MiB), types);
	}
}

static void check_kvm(struct doctor *d)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		finding(d, "ok", "kvm", NULL, "/dev/kvm can be opened (KVM shim)");
	} else if (errno == ENOENT) {
		finding(d, "warn", "kvm", "load kvm_intel or kvm_amd, or enable virtualization in the firmware",
			"/dev/kvm does not exist: no KVM guests (QEMU can still run guests with TCG)");
	} else {
		finding(d, "warn", "kvm", "add yourself to the 'kvm' group, or run as root",
			"/dev/kvm: %s", strerror(errno));
	}
}

static void check_iommu(struct doctor *d)
{
	DIR *dir = opendir("/sys/kernel/iommu_groups");
	unsigned int groups = 0;
	struct dirent *e;

	while (dir && (e = readdir(dir)))
		if (e->d_name[0] != '.')
			groups++;
	if (dir)
		closedir(dir);
	if (groups)
		finding(d, "ok", "iommu", NULL, "%u IOMMU groups", groups);
	else
		finding(d, "info", "iommu", "boot with intel_iommu=on (or amd_iommu=on)",
			"no IOMMU groups: a real-GPU backend needs one to map guest memory; pgpu/sim does not");
}

static void check_xen(struct doctor *d)
{
	if (!access("/dev/xen/privcmd", F_OK) || !access("/proc/xen/privcmd", F_OK))
		finding(d, "ok", "xen", NULL, "this is a Xen domain with privcmd (Xen shim)");
	else
		finding(d, "info", "xen", NULL, "not running on Xen (no /dev/xen/privcmd)");
}

/* QEMU >= 10.1 speaks vfio-user, which gvtd needs. */
static void check_qemu(struct doctor *d)
{
	FILE *p = popen("qemu-system-x86_64 --version 2>/dev/null", "r");
	char line[256] = "";
	unsigned int major = 0, minor = 0;

	if (p) {
		if (!fgets(line, sizeof(line), p))
			line[0] = '\0';
		pclose(p);
	}
	if (!line[0]) {
		finding(d, "info", "qemu", "install QEMU >= 10.1 (Debian forky's qemu-system-x86)",
			"qemu-system-x86_64 not found: needed to boot a guest on a vGPU");
		return;
	}
	line[strcspn(line, "\n")] = '\0';
	if (sscanf(strstr(line, "version ") ? strstr(line, "version ") + 8 : "", "%u.%u",
		   &major, &minor) != 2 || major < 10 || (major == 10 && minor < 1))
		finding(d, "warn", "qemu", "QEMU >= 10.1 (Debian forky) has vfio-user-pci",
			"%s: too old for vfio-user", line);
	else
		finding(d, "ok", "qemu", NULL, "%s (vfio-user capable)", line);
}

int cmd_doctor(struct gvtctl *g, int argc, char **argv)
{
	struct doctor d = { .g = g };
	char types[256];

	if (argc != 1)
		return gvtctl_usage(g, "doctor");
	if (g->json)
		printf("{\"checks\":[");
	if (admitted_types(1024 * MiB, types, sizeof(types)))
		finding(&d, "fail", "libgvt", NULL, "libgvt %s cannot start pgpu/sim",
			gvt_version());
	else
		finding(&d, "ok", "libgvt", NULL, "libgvt %s: pgpu/sim works (1024 MiB aperture admits %s)",
			gvt_version(), types);
	check_gpus(&d);
	check_kvm(&d);
	check_iommu(&d);
	check_xen(&d);
	check_qemu(&d);
	if (g->json)
		printf("],\"failed\":%u}\n", d.failed);
	return d.failed ? EXIT_FAIL : EXIT_OK;
}
