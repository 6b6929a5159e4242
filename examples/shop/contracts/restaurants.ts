import { Type, contract, event, operation } from 'switchyard/contract';

export const MenuItem = Type.Object({
  menuItemId: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  price: Type.Integer({ minimum: 0 }),
});

export const Menu = Type.Object({
  restaurantId: Type.String({ minLength: 1 }),
  items: Type.Array(MenuItem, { maxItems: 200 }),
});

export const RestaurantsContract = contract({
  name: 'restaurants',
  version: '1.0.0',
  description: 'Restaurants and their menus; the owner of menu data',
  snapshots: new URL('./snapshots/', import.meta.url),
  operations: {
    reviseMenu: operation({
      input: Menu,
      output: Menu,
      http: { method: 'PUT', path: '/restaurants/:restaurantId/menu' },
      idempotent: true,
    }),
  },
  events: {
    menuRevised: event({ payload: Menu, partitionKey: 'restaurantId' }),
  },
});
