/** strptime formats tried, in order, for text dates that the dialect's own cast does not read. */
export const DATE_FORMATS = [
  '%d/%m/%Y %H:%M:%S',
  '%d/%m/%Y %H:%M',
  '%m/%d/%Y %H:%M:%S',
  '%m/%d/%Y %H:%M',
  '%d/%m/%Y',
  '%m/%d/%Y',
  '%d-%m-%Y %H:%M:%S',
  '%d-%m-%Y %H:%M',
  '%d-%m-%Y',
  '%m-%d-%Y',
  '%d.%m.%Y %H:%M',
  '%d.%m.%Y',
  '%Y%m%d',
  '%Y/%m/%d %H:%M:%S',
  '%Y/%m/%d',
] as const;
