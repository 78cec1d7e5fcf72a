/* libvirt's C API against vmmd: two clients at once, error codes. */
#include <check.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suite.h"
#include "common/harness.h"
#include "suites.h"

static struct vmmd_inst v;

static void quiet(void *data, virErrorPtr err)
{
	(void)data, (void)err;
}

static void setup(void)
{
	virSetErrorFunc(NULL, quiet);
	ck_assert_int_eq(vmmd_start(&v, NULL, NULL), 0);
}

static void teardown(void)
{
	vmmd_fixture_down(&v); /* a clean exit: no crash, no leak */
}

START_TEST(two_clients)
{
	virConnectPtr a = virConnectOpen(v.uri), b = virConnectOpen(v.uri);
	virDomainPtr d, d2;
	virDomainPtr *all = NULL;
	char xml[1024];
	int state, reason;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	domain_xml(xml, sizeof xml, "shared", image_file(&v, "echo.elf"));
	d = virDomainDefineXML(a, xml);
	ck_assert_ptr_nonnull(d);
	d2 = virDomainLookupByName(b, "shared");
	ck_assert_ptr_nonnull(d2);
	ck_assert_int_eq(virDomainCreate(d2), 0);
	ck_assert_int_eq(virDomainGetState(d, &state, &reason, 0), 0);
	ck_assert_int_eq(state, VIR_DOMAIN_RUNNING);
	ck_assert_int_eq(virConnectListAllDomains(a, &all, VIR_CONNECT_LIST_DOMAINS_ACTIVE), 1);
	virDomainFree(all[0]);
	free(all);
	ck_assert_int_eq(virDomainDestroy(d), 0);
	ck_assert_int_eq(virDomainIsActive(d2), 0);
	ck_assert_int_eq(virDomainUndefine(d2), 0);
	ck_assert_ptr_null(virDomainLookupByName(a, "shared"));
	ck_assert_int_eq(virGetLastError()->code, VIR_ERR_NO_DOMAIN);
	ck_assert_str_eq(virGetLastError()->message, "Domain not found: no domain with matching name 'shared'");
	virDomainFree(d);
	virDomainFree(d2);
	ck_assert_int_eq(virConnectClose(a), 0);
	ck_assert_int_eq(virConnectClose(b), 0);
}
END_TEST

START_TEST(error_codes)
{
	virConnectPtr c = virConnectOpen(v.uri);
	char xml[1024];
	virDomainPtr d;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(virDomainDefineXML(c, "<domain"));
	ck_assert_int_eq(virGetLastError()->code, VIR_ERR_XML_ERROR);
	ck_assert_ptr_null(virDomainDefineXML(c, "<domain type='kvm'><name>x</name><memory>1</memory>"
						 "<os><type>hvm</type><kernel>/k</kernel></os><cpu/></domain>"));
	ck_assert_int_eq(virGetLastError()->code, VIR_ERR_CONFIG_UNSUPPORTED);
	domain_xml(xml, sizeof xml, "e1", image_file(&v, "echo.elf"));
	d = virDomainDefineXML(c, xml);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(virDomainSuspend(d), -1);
	ck_assert_int_eq(virGetLastError()->code, VIR_ERR_OPERATION_INVALID);
	/* an unknown procedure reaches the caller as NO_SUPPORT */
	ck_assert_ptr_null(virConnectGetSysinfo(c, 0));
	ck_assert_int_eq(virGetLastError()->code, VIR_ERR_NO_SUPPORT);
	ck_assert_int_eq(virDomainUndefine(d), 0);
	virDomainFree(d);
	/* many domains */
	for (int i = 0; i < 40; i++) {
		char name[32];

		snprintf(name, sizeof name, "many%d", i);
		domain_xml(xml, sizeof xml, name, image_file(&v, "k"));
		d = virDomainDefineXML(c, xml);
		ck_assert_ptr_nonnull(d);
		virDomainFree(d);
	}
	ck_assert_int_eq(virConnectNumOfDefinedDomains(c), 40);
	virConnectClose(c);
}
END_TEST

Suite *api_suite(void)
{
	const TTest *const tests[] = {
		two_clients, error_codes, NULL,
	};

	return one_case_suite("libvirt-api", "api", 60, setup, teardown, tests);
}
