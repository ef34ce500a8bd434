/* SPDX-License-Identifier: MIT */
/*
 * NVMe metadata and end-to-end protection information (PI): commands with a separate metadata
 * buffer or on extended LBAs, with PRACT, PRCHK, the application tag and its mask, the initial
 * reference tag, FUA; Verify; Write Zeroes with deallocate; and PI generated and checked in
 * software (the 16-bit guard, CRC-16 T10-DIF, and the 64-bit guard, CRC-64 of the NVMe spec).
 *
 * The format a namespace uses is in struct rl_nvme_info: @ms metadata bytes per block, @extended,
 * @pi_type (0 none, 1, 2, 3), @pif (0: 8-byte PI with the 16-bit guard, 2: 16-byte PI with the
 * 64-bit guard), @pi_first (PI in the first bytes of the metadata, else the last).
 */
#ifndef RINGLINE_PI_H
#define RINGLINE_PI_H

#include <stddef.h>
#include <stdint.h>
#include "ringline/nvme.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * struct rl_nvme_io flags: the bits of Command Dword 12 they set, so they read as the spec.
 * PRACT: on writes the controller inserts PI (and strips it on reads when the metadata is only
 * PI); PRCHK_*: the controller checks the guard, the application tag (under the mask), the
 * reference tag. DEAC applies to Write Zeroes only.
 */
#define RL_NVME_IO_FUA (1u << 30)
#define RL_NVME_IO_PRACT (1u << 29)
#define RL_NVME_IO_PRCHK_GUARD (1u << 28)
#define RL_NVME_IO_PRCHK_APPTAG (1u << 27)
#define RL_NVME_IO_PRCHK_REFTAG (1u << 26)
#define RL_NVME_IO_DEAC (1u << 25)
#define RL_NVME_IO_PRCHK_ALL                                                                       \
	(RL_NVME_IO_PRCHK_GUARD | RL_NVME_IO_PRCHK_APPTAG | RL_NVME_IO_PRCHK_REFTAG)

/**
 * struct rl_nvme_io - what a command carries beyond its LBA range.
 * @size:        sizeof(struct rl_nvme_io).
 * @flags:       RL_NVME_IO_* bits.
 * @md:          separate metadata buffer (namespaces with metadata that is not extended), or NULL:
 *               @md_len must be nlb * ms; alive until the callback.
 * @md_len:      bytes at @md.
 * @apptag:      expected / written application tag (LBAT).
 * @apptag_mask: which bits of @apptag are checked (LBATM).
 * @reftag:      initial reference tag of PI types 2 and 3 (EILBRT: 32 bits, 48 with the
 *               64-bit guard). Type 1 ties it to the LBA: ringline sends @slba's low bits.
 */
struct rl_nvme_io {
	size_t size;
	unsigned flags;
	void *md;
	uint32_t md_len;
	uint16_t apptag;
	uint16_t apptag_mask;
	uint64_t reftag;
};

/*
 * rl_nvme_read_io(), rl_nvme_write_io() - Read and Write with @io (NULL: as rl_nvme_read() and
 * rl_nvme_write()). Beyond their checks, refused with -EINVAL and a message before anything is
 * submitted: unknown flags, DEAC, PI flags on a namespace without PI, PRCHK_REFTAG on PI type 3
 * (controllers refuse it: Invalid Protection Information), a metadata buffer on a
 * namespace without metadata or with extended LBAs, @md_len other than nlb * ms, @md not 4-byte
 * aligned. -EBUSY: reap and retry. With PRACT on a format whose metadata is only PI, no metadata
 * moves: on extended LBAs @buf then holds nlb * lba_size bytes of data alone. @buf and @md stay
 * valid until the callback. PI errors complete with NVMe statuses RL_NVME_STATUS_GUARD_CHECK,
 * _APPTAG_CHECK, _REFTAG_CHECK.
 */
RL_EXPORT int rl_nvme_read_io(struct rl_nvme_dev *d, void *buf, uint64_t slba, uint32_t nlb,
			      const struct rl_nvme_io *io, rl_complete_fn cb, void *arg);
RL_EXPORT int rl_nvme_write_io(struct rl_nvme_dev *d, const void *buf, uint64_t slba, uint32_t nlb,
			       const struct rl_nvme_io *io, rl_complete_fn cb, void *arg);

/*
 * rl_nvme_verify() - NVMe Verify: the controller reads @nlb blocks from @slba and checks them
 * (and their PI, with PRCHK flags in @io, NULL for none) without transferring data. Errors as
 * rl_nvme_read_io(); @io->md must be NULL.
 */
RL_EXPORT int rl_nvme_verify(struct rl_nvme_dev *d, uint64_t slba, uint32_t nlb,
			     const struct rl_nvme_io *io, rl_complete_fn cb, void *arg);

/*
 * rl_nvme_write_zeroes_io() - Write Zeroes with FUA, DEAC (deallocate the blocks: they read as
 * DLFEAT says) and PRACT from @io (NULL: none); @io->md must be NULL. Errors as rl_nvme_read_io().
 */
RL_EXPORT int rl_nvme_write_zeroes_io(struct rl_nvme_dev *d, uint64_t slba, uint32_t nlb,
				      const struct rl_nvme_io *io, rl_complete_fn cb, void *arg);

/*
 * rl_crc16_t10dif() - CRC-16 T10-DIF (poly 0x8bb7, init 0, not reflected), the 16-bit guard.
 * rl_crc64_nvme() - CRC-64 of the NVMe NVM Command Set spec (poly 0xad93d23594c93659 reflected,
 * inverted in and out: pass 0 to start, the previous result to continue), the 64-bit guard.
 */
RL_EXPORT uint16_t rl_crc16_t10dif(uint16_t crc, const void *buf, size_t len);
RL_EXPORT uint64_t rl_crc64_nvme(uint64_t crc, const void *buf, size_t len);

/**
 * rl_pi_generate() - write PI for @nlb blocks from @slba in software, as a PRACT=0 write sends
 * it: the guard over each block's data (and the metadata before the PI when PI is last), @io's
 * application tag, and the reference tag (type 1: the LBA; type 2: @io->reftag plus the block's
 * index; type 3: @io->reftag).
 * @in:   the namespace's format (rl_nvme_info()).
 * @data: @nlb blocks of @in->lba_size bytes, or of lba_size + ms interleaved on extended LBAs,
 *        where the PI is written.
 * @md:   the separate metadata, @nlb * ms bytes (NULL on extended LBAs).
 * @io:   apptag and reftag; NULL for 0.
 * Return: 0; -EINVAL when the namespace has no PI or @md does not match the format (NULL where
 * needed or given where not); -EOPNOTSUPP for a PI format other than 16-bit and 64-bit guards.
 */
RL_EXPORT int rl_pi_generate(const struct rl_nvme_info *in, void *data, void *md, uint64_t slba,
			     uint32_t nlb, const struct rl_nvme_io *io);

/**
 * rl_pi_verify() - check the PI of @nlb blocks read from @slba in software, as the controller
 * does with the PRCHK bits in @io->flags (none set, or @io NULL: the guard, the reference tag of
 * types 1 and 2, and the application tag when @io->apptag_mask is not 0). A block whose
 * application tag is 0xffff (and, in type 3, reference tag all ones) is not checked.
 * @bad_lba: set to the first failing block's LBA (may be NULL).
 * Return: 0 when every block passes; RL_NVME_STATUS_GUARD_CHECK, _APPTAG_CHECK or
 * _REFTAG_CHECK (an NVMe status, rl_nvme_status_str() names it) for the first failure; -EINVAL and
 * -EOPNOTSUPP as rl_pi_generate().
 */
RL_EXPORT int rl_pi_verify(const struct rl_nvme_info *in, const void *data, const void *md,
			   uint64_t slba, uint32_t nlb, const struct rl_nvme_io *io,
			   uint64_t *bad_lba);

#ifdef __cplusplus
}
#endif
#endif
