#include "arch/x86/legacy.h"

#include <string.h>
#include <time.h>

/* MC146818 registers (datasheet "Address map"). */
enum {
	RTC_SECONDS = 0, RTC_MINUTES = 2, RTC_HOURS = 4, RTC_DAY_OF_WEEK = 6,
	RTC_DAY_OF_MONTH = 7, RTC_MONTH = 8, RTC_YEAR = 9,
	RTC_REG_A = 10, RTC_REG_B = 11, RTC_REG_C = 12, RTC_REG_D = 13,
	RTC_CENTURY = 0x32, /* the ACPI FADT "CENTURY" default on PCs */
};
#define RTC_REG_A_DV_32K   0x20  /* 32.768 kHz time base; UIP (bit 7) clear */
#define RTC_REG_A_RATE_1K  0x06
#define RTC_REG_B_24H      0x02  /* 24-hour mode, BCD */
#define RTC_REG_D_VRT      0x80  /* valid RAM and time */
#define RTC_INDEX_MASK     0x7f  /* bit 7 of the index port is NMI disable */

uint8_t legacy_rtc_bcd(unsigned int v)
{
	return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static uint8_t rtc_register(uint8_t index)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (index) {
	case RTC_SECONDS: return legacy_rtc_bcd((unsigned int)tm.tm_sec);
	case RTC_MINUTES: return legacy_rtc_bcd((unsigned int)tm.tm_min);
	case RTC_HOURS: return legacy_rtc_bcd((unsigned int)tm.tm_hour);
	case RTC_DAY_OF_WEEK: return legacy_rtc_bcd((unsigned int)tm.tm_wday + 1);
	case RTC_DAY_OF_MONTH: return legacy_rtc_bcd((unsigned int)tm.tm_mday);
	case RTC_MONTH: return legacy_rtc_bcd((unsigned int)tm.tm_mon + 1);
	case RTC_YEAR: return legacy_rtc_bcd((unsigned int)tm.tm_year % 100);
	case RTC_CENTURY: return legacy_rtc_bcd((unsigned int)(tm.tm_year + 1900) / 100);
	case RTC_REG_A: return RTC_REG_A_DV_32K | RTC_REG_A_RATE_1K;
	case RTC_REG_B: return RTC_REG_B_24H;
	case RTC_REG_D: return RTC_REG_D_VRT;
	default: return 0; /* REG_C (no interrupt flags) and the CMOS RAM */
	}
}

static void rtc_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct legacy_rtc *rtc = opaque;

	memset(data, 0, len);
	pthread_mutex_lock(&rtc->lock);
	data[0] = off == 0 ? rtc->index : rtc_register(rtc->index);
	pthread_mutex_unlock(&rtc->lock);
}

static void rtc_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct legacy_rtc *rtc = opaque;

	(void)len;
	/* Writes to the clock are ignored: the guest cannot set host time. */
	if (off != 0)
		return;
	pthread_mutex_lock(&rtc->lock);
	rtc->index = data[0] & RTC_INDEX_MASK;
	pthread_mutex_unlock(&rtc->lock);
}

const struct io_bus_ops legacy_rtc_ops = {
	.read = rtc_read,
	.write = rtc_write,
};
