import { ONLINE_RETAIL_ROLES } from '../scale-shop.js';
/** A tiny hand-made shop whose features are computed by hand in the tests. */
export const TRANSACTIONS = `Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country,Category
1001,P1,a,2,2024-01-01 10:00:00,5.00,A,United Kingdom,Home
1001,P2,b,1,2024-01-01 10:00:00,3.00,A,United Kingdom,Kitchen
1002,P1,a,4,2024-01-11 09:00:00,5.00,A,United Kingdom,Home
C1002,P1,a,-1,2024-01-12 09:00:00,5.00,A,United Kingdom,Home
1003,P3,c,10,2024-01-05 12:00:00,1.50,B,Germany,Toys
1003,P3,c,10,2024-01-05 12:00:00,1.50,B,Germany,Toys
1004,POST,postage,1,2024-01-05 12:00:00,18.00,B,Germany,
1005,P2,b,1,2024-01-20 15:00:00,0.00,B,Germany,Kitchen
1006,P1,a,1,2024-01-25 08:00:00,5.00,,United Kingdom,Home
1007,P2,b,3,2024-01-30 16:00:00,3.00,C,France,Kitchen
`;

export const EVENTS = `customer_id,event_time,event_type,session_minutes
A,2024-01-02 10:00:00,session,10
A,2024-01-03 10:00:00,session,6
A,2024-01-03 10:05:00,wishlist_add,
B,2024-01-04 10:00:00,session,3
Z,2024-01-04 10:00:00,session,3
`;

export const COUPONS = `coupon_id,customer_id,claimed_at,redeemed
K1,A,2024-01-02,yes
K2,A,2024-01-03,no
K3,B,2024-01-03,no
`;

export const CUSTOMERS = `Customer ID,signup_date,channel,age
A,2023-12-01,web,30
B,2024-01-01,app,
C,2023-01-31,web,50
`;

export const FILES = {
  'tx.csv': TRANSACTIONS,
  'events.csv': EVENTS,
  'coupons.csv': COUPONS,
  'customers.csv': CUSTOMERS,
};

export const TX_SOURCE = {
  kind: 'transactions',
  path: 'tx.csv',
  roles: { ...ONLINE_RETAIL_ROLES, category: 'Category' },
};

export const ALL_SOURCES = {
  tx: TX_SOURCE,
  events: {
    kind: 'events',
    path: 'events.csv',
    roles: { customer: 'customer_id', time: 'event_time', type: 'event_type', duration: 'session_minutes' },
  },
  coupons: {
    kind: 'coupons',
    path: 'coupons.csv',
    roles: { customer: 'customer_id', time: 'claimed_at', redeemed: 'redeemed' },
  },
  customers: {
    kind: 'customers',
    path: 'customers.csv',
    roles: { customer: 'Customer ID', joined: 'signup_date' },
  },
};
