# vmmd: the daemon that speaks libvirt's remote protocol (see vmm/daemon/README.md).
XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null)
XML_LIBS   := $(shell pkg-config --libs libxml-2.0 2>/dev/null)

DAEMON_SRCS      := $(wildcard vmm/daemon/*.c vmm/daemon/*/*.c)
DAEMON_LIB_SRCS  := $(filter-out vmm/daemon/main.c,$(DAEMON_SRCS))
DAEMON_OBJS      := $(DAEMON_SRCS:%.c=$(BUILD)/obj/%.o)
DAEMON_SAN_OBJS  := $(DAEMON_SRCS:%.c=$(BUILD)/obj-san/%.o)
DAEMON_LIB_SAN_OBJS := $(DAEMON_LIB_SRCS:%.c=$(BUILD)/obj-san/%.o)

$(DAEMON_OBJS) $(DAEMON_SAN_OBJS): CFLAGS += $(XML_CFLAGS)

all: $(BUILD)/vmmd

$(BUILD)/vmmd: $(DAEMON_OBJS)
	$(CC) -o $@ $^ $(XML_LIBS) $(LDLIBS)

$(BUILD)/vmmd-san: $(DAEMON_SAN_OBJS)
	$(CC) $(SAN) -o $@ $^ $(XML_LIBS) $(LDLIBS)

# Tests: tests/daemon/*.c is the check program that needs no KVM (it runs
# domains with a stand-in vmm, tests/daemon/fake_vmm.c); tests/daemon/kvm/
# boots real guests.
LIBVIRT_CFLAGS := $(shell pkg-config --cflags libvirt 2>/dev/null)
LIBVIRT_LIBS   := $(shell pkg-config --libs libvirt 2>/dev/null)
DAEMON_TEST_COMMON := tests/daemon/common/harness.c
DAEMON_TEST_SRCS   := $(wildcard tests/daemon/check_*.c) tests/daemon/daemon_main.c $(DAEMON_TEST_COMMON)
DAEMON_KVM_SRCS    := $(wildcard tests/daemon/kvm/*.c) $(DAEMON_TEST_COMMON) tests/integration/loopback.c
DAEMON_TEST_FLAGS  := $(TEST_CFLAGS) $(XML_CFLAGS) $(LIBVIRT_CFLAGS) -Itests/daemon \
	-DBUILD_DIR='"$(BUILD)"'

$(BUILD)/tests/daemon: $(DAEMON_TEST_SRCS) $(wildcard tests/daemon/*.h tests/daemon/common/*.h) \
		$(DAEMON_LIB_SAN_OBJS) | $(BUILD)/vmmd-san $(BUILD)/tests/fake-vmm
	@mkdir -p $(dir $@)
	$(CC) $(DAEMON_TEST_FLAGS) -o $@ $(DAEMON_TEST_SRCS) $(DAEMON_LIB_SAN_OBJS) \
		$(LIBVIRT_LIBS) $(XML_LIBS) $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/tests/daemon-kvm: $(DAEMON_KVM_SRCS) $(wildcard tests/daemon/common/*.h) tests/integration/loopback.h | $(BUILD)/vmmd-san $(BUILD)/vmm guests \
		$(BUILD)/guest/site.elf
	@mkdir -p $(dir $@)
	$(CC) $(DAEMON_TEST_FLAGS) -o $@ $(DAEMON_KVM_SRCS) $(LIBVIRT_LIBS) $(CHECK_LIBS) $(LDLIBS)

# The front door with nginx, the site kernel and libcurl (needs KVM).
DAEMON_FRONT_SRCS := $(wildcard tests/daemon/front/*.c) $(DAEMON_TEST_COMMON)
CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null)
$(BUILD)/tests/daemon-front: $(DAEMON_FRONT_SRCS) $(wildcard tests/daemon/common/*.h tests/daemon/front/*.h) \
		| $(BUILD)/vmmd-san $(BUILD)/vmmd $(BUILD)/vmm $(BUILD)/guest/site.elf
	@mkdir -p $(dir $@)
	$(CC) $(DAEMON_TEST_FLAGS) -o $@ $(DAEMON_FRONT_SRCS) $(CURL_LIBS) $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/tests/fake-vmm: tests/daemon/fake_vmm.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $<

CHECK_PROGRAMS     += $(BUILD)/tests/daemon
KVM_CHECK_PROGRAMS += $(BUILD)/tests/daemon-kvm $(BUILD)/tests/daemon-front
CHECK_DEPS         += $(BUILD)/vmmd $(BUILD)/vmmd-san $(BUILD)/tests/fake-vmm

.PHONY: daemon-check
daemon-check: $(BUILD)/tests/daemon
	$(BUILD)/tests/daemon

# Fuzzers: the RPC message decoder and the domain XML parser.
FUZZERS += rpc_msg domain_xml
FUZZ_SRCS_rpc_msg := vmm/daemon/rpc/xdr.c vmm/daemon/rpc/msg.c vmm/daemon/rpc/procs.c vmm/daemon/rpc/verr.c vmm/daemon/rpc/proc_names.c
FUZZ_SRCS_domain_xml := vmm/daemon/domain/xml_parse.c vmm/daemon/domain/xml_format.c vmm/daemon/domain/xml_read.c vmm/daemon/domain/xml_site.c \
	vmm/daemon/domain/config.c vmm/daemon/rpc/verr.c vmm/daemon/rpc/proc_names.c vmm/daemon/rpc/xdr.c
$(BUILD)/fuzz/rpc_msg: $(FUZZ_SRCS_rpc_msg) $(wildcard vmm/daemon/rpc/*.h)
$(BUILD)/fuzz/domain_xml: $(FUZZ_SRCS_domain_xml) $(wildcard vmm/daemon/domain/*.h)
$(BUILD)/fuzz/domain_xml: FUZZ_CFLAGS += $(XML_CFLAGS)
$(BUILD)/fuzz/domain_xml: FUZZ_LDLIBS = $(XML_LIBS)
