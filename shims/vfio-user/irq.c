// SPDX-License-Identifier: MIT
/*
 * Interrupts over vfio-user: the client hands over eventfds with
 * DEVICE_SET_IRQS and the server signals them. The vGPU has one MSI vector
 * and a legacy INTx line; QEMU emulates the MSI capability itself and
 * routes each eventfd to what the guest programmed.
 *
 * An MSI that fires before the client gave its eventfd (the guest enables
 * MSI in config space, and only then does QEMU send SET_IRQS) is held
 * pending and signalled once the eventfd arrives: MSIs are edges, and a
 * lost edge would leave the guest waiting for good.
 *
 * INTx is a level, delivered the way vfio does it: signalling the eventfd
 * masks the line (AUTOMASKED) until the client unmasks it, by message or
 * through its resample eventfd, after the guest's EOI; if the level is
 * still high then, it is signalled again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"

#define IRQ_INTX VFIO_PCI_INTX_IRQ_INDEX
#define IRQ_MSI VFIO_PCI_MSI_IRQ_INDEX

int vfu_irq_info(struct gvt_vfu *vfu, uint32_t index, struct vfu_irq_info *out)
{
	out->argsz = sizeof(*out);
	out->index = index;
	switch (index) {
	case IRQ_INTX:
		out->flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
			     VFIO_IRQ_INFO_AUTOMASKED;
		out->count = 1;
		break;
	case IRQ_MSI:
		out->flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
		out->count = 1;
		break;
	default:
		/* No MSI-X capability, no error or request interrupts. */
		out->flags = 0;
		out->count = 0;
		break;
	}
	return 0;
}

/* Only an eventfd may be signalled: anything else could block us or
 * write where it should not. */
static bool is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:[eventfd]");
}

/* The eventfd is shared with the client and non-blocking (set when it was
 * handed over): a counter the client left full means the interrupt is
 * already pending there, not that we should wait. */
static int signal_fd(struct gvt_vfu *vfu, int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
		return -errno;
	vfu->stats.irqs_signalled++;
	return 0;
}

/* Edge-triggered: one wake-up per write of the client's, however large the
 * count it wrote (a semaphore eventfd would otherwise stay readable). */
static void watch(struct gvt_vfu *vfu, int fd, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = fd };

	if (epoll_ctl(vfu->epoll_fd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, &ev) && on)
		vfu_log(vfu, GVT_LOG_ERR, "cannot watch the INTx unmask eventfd: %s",
			strerror(errno));
}

static void set_fd(struct gvt_vfu *vfu, int *slot, int fd, bool watched)
{
	if (*slot >= 0) {
		if (watched)
			watch(vfu, *slot, false);
		close(*slot);
	}
	*slot = fd;
	if (fd >= 0 && watched)
		watch(vfu, fd, true);
}

/* Deliver INTx if its level is high and the line is not masked. */
static void intx_deliver(struct gvt_vfu *vfu)
{
	struct vfu_irq *irq = &vfu->irq[IRQ_INTX];

	if (!irq->pending || irq->masked || irq->trigger_fd < 0)
		return;
	if (!signal_fd(vfu, irq->trigger_fd))
		irq->masked = true;
}

static void msi_deliver(struct gvt_vfu *vfu)
{
	struct vfu_irq *irq = &vfu->irq[IRQ_MSI];

	if (irq->pending && irq->trigger_fd >= 0 && !signal_fd(vfu, irq->trigger_fd))
		irq->pending = false;
}

static void unmask(struct gvt_vfu *vfu, uint32_t index)
{
	if (index == IRQ_INTX) {
		vfu->irq[IRQ_INTX].masked = false;
		intx_deliver(vfu);
	}
}

/* A loopback trigger: the client asks for the interrupt itself. INTx goes
 * through its mask like any other edge of the line. */
static void trigger(struct gvt_vfu *vfu, uint32_t index)
{
	struct vfu_irq *irq = &vfu->irq[index];

	if (irq->trigger_fd < 0 || (index == IRQ_INTX && irq->masked))
		return;
	if (!signal_fd(vfu, irq->trigger_fd) && index == IRQ_INTX)
		irq->masked = true;
}

static int set_eventfds(struct gvt_vfu *vfu, const struct vfu_irq_set *set,
			uint32_t action, struct vfu_msg *msg)
{
	struct vfu_irq *irq = &vfu->irq[set->index];
	int fd = -1;

	/* One descriptor per interrupt, or none to de-assign them. */
	if (msg->nfds && msg->nfds != set->count) {
		vfu_warn(vfu, "client: SET_IRQS of %u interrupts with %u eventfds",
			 set->count, msg->nfds);
		return -EINVAL;
	}
	if (msg->nfds) {
		int fl = fcntl(msg->fds[0], F_GETFL);

		if (!is_eventfd(msg->fds[0]) || fl < 0 ||
		    fcntl(msg->fds[0], F_SETFL, fl | O_NONBLOCK)) {
			vfu_warn(vfu, "client: SET_IRQS with a descriptor that is not an eventfd");
			return -EINVAL;
		}
		fd = msg->fds[0];
		msg->fds[0] = -1; /* ours now */
	}
	if (!set->count)
		return 0;
	if (action == VFIO_IRQ_SET_ACTION_TRIGGER) {
		set_fd(vfu, &irq->trigger_fd, fd, false);
		if (set->index == IRQ_MSI)
			msi_deliver(vfu);
		else
			intx_deliver(vfu);
		return 0;
	}
	if (action == VFIO_IRQ_SET_ACTION_UNMASK && set->index == IRQ_INTX) {
		set_fd(vfu, &irq->unmask_fd, fd, true);
		return 0;
	}
	if (fd >= 0)
		close(fd);
	vfu_warn(vfu, "client: SET_IRQS action 0x%x with eventfds on interrupt %u",
		 action, set->index);
	return -EINVAL;
}

/* NONE (act now) or BOOL (act where the byte is set) for one interrupt. */
static int act(struct gvt_vfu *vfu, uint32_t index, uint32_t action)
{
	switch (action) {
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		trigger(vfu, index);
		return 0;
	case VFIO_IRQ_SET_ACTION_MASK:
		if (index != IRQ_INTX)
			return -EINVAL; /* MSI has no per-vector mask */
		vfu->irq[IRQ_INTX].masked = true;
		return 0;
	default:
		if (index != IRQ_INTX)
			return -EINVAL;
		unmask(vfu, index);
		return 0;
	}
}

static void disable(struct gvt_vfu *vfu, uint32_t index)
{
	struct vfu_irq *irq = &vfu->irq[index];

	set_fd(vfu, &irq->trigger_fd, -1, false);
	set_fd(vfu, &irq->unmask_fd, -1, true);
	irq->masked = false;
	if (index == IRQ_MSI)
		irq->pending = false;
}

int vfu_set_irqs_cmd(struct gvt_vfu *vfu, struct vfu_msg *msg,
		     struct vfu_reply *out)
{
	struct vfu_irq_set set;
	uint32_t data, action;

	memcpy(&set, msg->payload, sizeof(set));
	data = set.flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	action = set.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	out->len = 0;
	if (set.argsz < sizeof(set) || set.index >= VFU_NUM_IRQS ||
	    __builtin_popcount(data) != 1 || __builtin_popcount(action) != 1 ||
	    (set.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK))) {
		vfu_warn(vfu, "client: SET_IRQS argsz %u flags 0x%x index %u",
			 set.argsz, set.flags, set.index);
		return -EINVAL;
	}
	/* Disabling a whole index: what QEMU sends for each interrupt type
	 * at reset, including those this device does not have. */
	if (data == VFIO_IRQ_SET_DATA_NONE && action == VFIO_IRQ_SET_ACTION_TRIGGER &&
	    !set.count) {
		if (msg->nfds)
			return -EINVAL;
		if (set.index <= IRQ_MSI)
			disable(vfu, set.index);
		return 0;
	}
	if (set.index > IRQ_MSI || set.start > 1 || set.count > 1 - set.start) {
		vfu_warn(vfu, "client: SET_IRQS of interrupts %u..%u of index %u, which has %u",
			 set.start, set.start + set.count, set.index,
			 set.index <= IRQ_MSI ? 1 : 0);
		return -EINVAL;
	}
	if (data == VFIO_IRQ_SET_DATA_EVENTFD)
		return set_eventfds(vfu, &set, action, msg);
	if (msg->nfds)
		return -EINVAL;
	if (data == VFIO_IRQ_SET_DATA_BOOL) {
		if (set.argsz < sizeof(set) + set.count ||
		    msg->len < sizeof(set) + set.count) {
			vfu_warn(vfu, "client: SET_IRQS with %u flags in %u bytes",
				 set.count, msg->len);
			return -EINVAL;
		}
		for (uint32_t i = 0; i < set.count; i++)
			if (msg->payload[sizeof(set) + i])
				return act(vfu, set.index, action);
		return 0;
	}
	return set.count ? act(vfu, set.index, action) : 0;
}

void vfu_irq_event(struct gvt_vfu *vfu, int fd)
{
	struct vfu_irq *intx = &vfu->irq[IRQ_INTX];
	uint64_t count;

	if (fd != intx->unmask_fd)
		return;
	/* The guest's EOI, relayed: consume the count (the fd is non-blocking
	 * and edge-watched, so a client that read it first costs nothing). */
	if (read(fd, &count, sizeof(count)) == sizeof(count))
		unmask(vfu, IRQ_INTX);
}

/* A device reset: no MSI is owed any more, and INTx starts unmasked (its
 * level is libgvt's, which lowers it when it resets the vGPU). */
void vfu_irq_reset(struct gvt_vfu *vfu)
{
	vfu->irq[IRQ_MSI].pending = false;
	vfu->irq[IRQ_INTX].masked = false;
}

void vfu_irq_release_all(struct gvt_vfu *vfu)
{
	for (unsigned int i = 0; i < ARRAY_LEN(vfu->irq); i++)
		disable(vfu, i);
	vfu_irq_reset(vfu);
}

/* The line's level from libgvt. A falling line needs no message: the
 * client lowers its side at the guest's EOI and asks us to unmask, and we
 * signal again only if the line is still high then. */
int vfu_set_intx(void *hv, bool asserted)
{
	struct gvt_vfu *vfu = hv;

	vfu->irq[IRQ_INTX].pending = asserted;
	intx_deliver(vfu);
	return 0;
}

int vfu_inject_msi(void *hv, uint64_t addr, uint32_t data)
{
	struct gvt_vfu *vfu = hv;

	/* QEMU routes the eventfd to the address and data the guest
	 * programmed in its copy of the capability; ours match. */
	vfu->irq[IRQ_MSI].pending = true;
	msi_deliver(vfu);
	return 0;
}
