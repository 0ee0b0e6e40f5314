// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libelf.h>
#include "elfimg.h"

/* Hostile files may claim millions of headers; real Go binaries have < 100. */
#define ELF_MAX_SECTIONS 65536
#define ELF_MAX_SEGMENTS 4096

struct elfimg {
	__u8 *map;
	size_t size;
	Elf *elf;
	bool dyn;
	__u16 machine;
	struct elf_sec *secs;
	size_t nsec;
	struct elf_seg *segs;
	size_t nseg;
};

static int load_sections(struct elfimg *img)
{
	size_t shnum, shstrndx;
	size_t n;

	if (elf_getshdrnum(img->elf, &shnum) || elf_getshdrstrndx(img->elf, &shstrndx))
		return -ENOEXEC;
	if (shnum > ELF_MAX_SECTIONS)
		return -ENOEXEC;
	if (!shnum)
		return 0;
	img->secs = calloc(shnum, sizeof(*img->secs));
	if (!img->secs)
		return -ENOMEM;
	/* Index n is section n (0 is the null section) so that sh_link works. */
	for (n = 0; n < shnum; n++) {
		struct elf_sec *s = &img->secs[n];
		Elf_Scn *scn = elf_getscn(img->elf, n);
		GElf_Shdr sh;
		const char *name;

		if (!scn || !gelf_getshdr(scn, &sh))
			return -ENOEXEC;
		name = elf_strptr(img->elf, shstrndx, sh.sh_name);
		s->name = name ? name : "";
		s->addr = sh.sh_addr;
		s->off = sh.sh_offset;
		s->size = sh.sh_type == SHT_NOBITS ? 0 : sh.sh_size;
		s->flags = sh.sh_flags;
		s->type = sh.sh_type;
		s->link = sh.sh_link;
		s->entsize = sh.sh_entsize;
		s->in_file = sh.sh_type != SHT_NOBITS && in_bounds(s->off, s->size, img->size);
	}
	img->nsec = n;
	return 0;
}

static int load_segments(struct elfimg *img)
{
	size_t phnum, i;

	if (elf_getphdrnum(img->elf, &phnum))
		return -ENOEXEC;
	if (phnum > ELF_MAX_SEGMENTS)
		return -ENOEXEC;
	if (!phnum)
		return 0;
	img->segs = calloc(phnum, sizeof(*img->segs));
	if (!img->segs)
		return -ENOMEM;
	for (i = 0; i < phnum; i++) {
		struct elf_seg *s = &img->segs[img->nseg];
		GElf_Phdr ph;

		if (!gelf_getphdr(img->elf, i, &ph))
			return -ENOEXEC;
		if (ph.p_type != PT_LOAD)
			continue;
		/* A segment that wraps the address space is nonsense; drop it. */
		if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
			continue;
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->off = ph.p_offset;
		s->filesz = ph.p_filesz;
		if (s->off > img->size)
			s->filesz = 0;
		else if (s->filesz > img->size - s->off)
			s->filesz = img->size - s->off;
		if (s->filesz > s->memsz)
			s->filesz = s->memsz;
		s->flags = ph.p_flags;
		img->nseg++;
	}
	return 0;
}

int elfimg__open(const char *path, struct elfimg **out)
{
	struct elfimg *img;
	struct stat st;
	GElf_Ehdr eh;
	char *ident;
	int fd, err;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto close_fd;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode) || (__u64)st.st_size < sizeof(Elf64_Ehdr)) {
		err = -ENOEXEC;
		goto close_fd;
	}
	img = calloc(1, sizeof(*img));
	if (!img) {
		err = -ENOMEM;
		goto close_fd;
	}
	img->size = st.st_size;
	/* Private and writable so that libelf/libdw may decompress in place. */
	img->map = mmap(NULL, img->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (img->map == MAP_FAILED) {
		img->map = NULL;
		err = -errno;
		goto free_img;
	}
	close(fd);
	fd = -1;
	if (memcmp(img->map, ELFMAG, SELFMAG)) {
		err = -ENOEXEC;
		goto free_img;
	}
	if (img->map[EI_CLASS] != ELFCLASS64 || img->map[EI_DATA] != ELFDATA2LSB) {
		err = -EPROTONOSUPPORT;
		goto free_img;
	}
	img->elf = elf_memory((char *)img->map, img->size);
	if (!img->elf || elf_kind(img->elf) != ELF_K_ELF || !gelf_getehdr(img->elf, &eh)) {
		err = -ENOEXEC;
		goto free_img;
	}
	ident = elf_getident(img->elf, NULL);
	if (!ident) {
		err = -ENOEXEC;
		goto free_img;
	}
	img->dyn = eh.e_type == ET_DYN;
	img->machine = eh.e_machine;
	err = load_sections(img);
	if (err)
		goto free_img;
	err = load_segments(img);
	if (err)
		goto free_img;
	*out = img;
	return 0;

free_img:
	elfimg__free(img);
close_fd:
	if (fd >= 0)
		close(fd);
	return err;
}

void elfimg__free(struct elfimg *img)
{
	if (!img)
		return;
	if (img->elf)
		elf_end(img->elf);
	if (img->map)
		munmap(img->map, img->size);
	free(img->secs);
	free(img->segs);
	free(img);
}

Elf *elfimg__elf(const struct elfimg *img)
{
	return img->elf;
}

bool elfimg__is_dyn(const struct elfimg *img)
{
	return img->dyn;
}

__u16 elfimg__machine(const struct elfimg *img)
{
	return img->machine;
}

const __u8 *elfimg__data(const struct elfimg *img, size_t *size)
{
	*size = img->size;
	return img->map;
}

size_t elfimg__nsec(const struct elfimg *img)
{
	return img->nsec;
}

const struct elf_sec *elfimg__sec(const struct elfimg *img, size_t i)
{
	return i < img->nsec ? &img->secs[i] : NULL;
}

const struct elf_sec *elfimg__sec_by_name(const struct elfimg *img, const char *name)
{
	size_t i;

	for (i = 0; i < img->nsec; i++)
		if (!strcmp(img->secs[i].name, name))
			return &img->secs[i];
	return NULL;
}

const __u8 *elfimg__sec_bytes(const struct elfimg *img, const struct elf_sec *sec)
{
	if (!sec || !sec->in_file || (sec->flags & SHF_COMPRESSED))
		return NULL;
	return img->map + sec->off;
}

size_t elfimg__nseg(const struct elfimg *img)
{
	return img->nseg;
}

const struct elf_seg *elfimg__seg(const struct elfimg *img, size_t i)
{
	return i < img->nseg ? &img->segs[i] : NULL;
}

static const struct elf_seg *seg_of(const struct elfimg *img, __u64 vaddr)
{
	size_t i;

	for (i = 0; i < img->nseg; i++) {
		const struct elf_seg *s = &img->segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->memsz)
			return s;
	}
	return NULL;
}

int elfimg__read_vaddr(const struct elfimg *img, __u64 vaddr, void *buf, size_t len)
{
	const struct elf_seg *s = seg_of(img, vaddr);
	__u64 rel, infile;

	if (!s)
		return -ENOENT;
	rel = vaddr - s->vaddr;
	if (len > s->memsz - rel)
		return -ERANGE;
	/* Bytes past p_filesz are zero-initialised memory (.bss). */
	infile = rel < s->filesz ? s->filesz - rel : 0;
	if (infile > len)
		infile = len;
	if (infile)
		memcpy(buf, img->map + s->off + rel, infile);
	memset((__u8 *)buf + infile, 0, len - infile);
	return 0;
}

const __u8 *elfimg__vaddr_ptr(const struct elfimg *img, __u64 vaddr, size_t len)
{
	const struct elf_seg *s = seg_of(img, vaddr);
	__u64 rel;

	if (!s)
		return NULL;
	rel = vaddr - s->vaddr;
	if (!in_bounds(rel, len, s->filesz))
		return NULL;
	return img->map + s->off + rel;
}

int elfimg__vaddr_to_offset(const struct elfimg *img, __u64 vaddr, __u64 *off)
{
	size_t i;

	for (i = 0; i < img->nseg; i++) {
		const struct elf_seg *s = &img->segs[i];

		if (!(s->flags & PF_X))
			continue;
		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			*off = s->off + (vaddr - s->vaddr);
			return 0;
		}
	}
	return -ENOENT;
}

int elfimg__symtab(const struct elfimg *img, const __u8 **syms, size_t *nsym, const char **strtab,
		   size_t *strsz)
{
	const struct elf_sec *sym = NULL, *str;
	size_t i;

	for (i = 0; i < img->nsec; i++) {
		if (img->secs[i].type == SHT_SYMTAB) {
			sym = &img->secs[i];
			break;
		}
	}
	if (!sym || !elfimg__sec_bytes(img, sym) || sym->entsize != sizeof(Elf64_Sym))
		return -ENOENT;
	str = elfimg__sec(img, sym->link);
	if (!str || str->type != SHT_STRTAB || !elfimg__sec_bytes(img, str))
		return -ENOENT;
	*syms = elfimg__sec_bytes(img, sym);
	*nsym = sym->size / sizeof(Elf64_Sym);
	*strtab = (const char *)elfimg__sec_bytes(img, str);
	*strsz = str->size;
	return 0;
}

void elfimg__sym(const __u8 *syms, size_t i, const char *strtab, size_t strsz, GElf_Sym *sym,
		 const char **name)
{
	Elf64_Sym s;

	memcpy(&s, syms + i * sizeof(s), sizeof(s));
	*sym = s;
	*name = NULL;
	if (s.st_name < strsz && memchr(strtab + s.st_name, 0, strsz - s.st_name))
		*name = strtab + s.st_name;
}
