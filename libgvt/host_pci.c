// SPDX-License-Identifier: MIT
/*
 * Which Intel GPUs the host has, through libpci. libpci reports fatal
 * errors through a callback it expects never to return (its default
 * exits the process); ours jumps back here instead, so a broken PCI
 * setup is an error code, not the end of the device model.
 */
#include <errno.h>

#include "private.h"

#ifdef GVT_HAVE_LIBPCI
#include <pci/pci.h>
#include <setjmp.h>

static _Thread_local jmp_buf *scan_escape;

__attribute__((noreturn)) static void scan_error(char *msg, ...)
{
	(void)msg;
	longjmp(*scan_escape, 1);
}

static void scan_quiet(char *msg, ...)
{
	(void)msg;
}

#define PCI_CLASS_DISPLAY 0x03

int gvt_host_gpu_scan(struct gvt_host_gpu *out, size_t max, size_t *count)
{
	struct pci_access *volatile pacc = NULL;
	volatile size_t found = 0;
	jmp_buf escape;

	if (!count || (max && !out))
		return -EINVAL;
	scan_escape = &escape;
	if (setjmp(escape)) {
		if (pacc)
			pci_cleanup(pacc);
		return -EIO;
	}
	pacc = pci_alloc();
	if (!pacc)
		return -ENOMEM;
	pacc->error = scan_error;
	pacc->warning = scan_quiet;
	pacc->debug = scan_quiet;
	pci_init(pacc);
	pci_scan_bus(pacc);
	for (struct pci_dev *dev = pacc->devices; dev; dev = dev->next) {
		const struct gvt_platform_desc *p;

		pci_fill_info(dev, PCI_FILL_IDENT | PCI_FILL_CLASS |
				       PCI_FILL_SIZES);
		if (dev->vendor_id != 0x8086 ||
		    (dev->device_class >> 8) != PCI_CLASS_DISPLAY)
			continue;
		if (found < max) {
			p = gvt_platform_find_pci(dev->vendor_id, dev->device_id);
			out[found] = (struct gvt_host_gpu){
				.domain = (uint16_t)dev->domain,
				.bus = dev->bus,
				.dev = dev->dev,
				.func = dev->func,
				.device_id = dev->device_id,
				.revision = pci_read_byte(dev, PCI_REVISION_ID),
				.platform = p ? p->id : 0,
				.aperture_size = (uint64_t)dev->size[2],
			};
		}
		found++;
	}
	pci_cleanup(pacc);
	*count = found;
	return 0;
}

#else

int gvt_host_gpu_scan(struct gvt_host_gpu *out, size_t max, size_t *count)
{
	(void)out;
	(void)max;
	if (count)
		*count = 0;
	return -EOPNOTSUPP;
}

#endif
