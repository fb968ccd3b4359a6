export interface ColumnSummary {
  name: string;
  type: string;
  nulls: number;
  /** Distinct values; null where not counted (inside an engine, where it would cost a sort per column). */
  distinct: number | null;
  min: string | null;
  max: string | null;
  top: { value: string; count: number }[];
}

export interface Histogram {
  /** Lower edge of each bin; the last bin also holds everything above the 99th percentile. */
  edges: number[];
  width: number;
  counts: number[];
  /** Values at or above the last edge (the tail beyond the 99th percentile), in the last bin. */
  tail: number;
  median: number | null;
}

export interface DataOverview {
  sources: {
    name: string;
    kind: string;
    file: string;
    rows: number;
    dateRange: { from: string; to: string } | null;
    columns: ColumnSummary[];
  }[];
  distributions: {
    orderValue: Histogram | null;
    itemsPerOrder: Histogram | null;
    ordersPerCustomer: Histogram | null;
  };
}
