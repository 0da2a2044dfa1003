/** The table's TTL attribute is a Number of epoch seconds. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-before-you-start.html */
export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
