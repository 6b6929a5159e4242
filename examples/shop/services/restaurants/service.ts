import { defineService } from 'switchyard/runtime';
import 'switchyard/messaging';
import { RestaurantsContract, type Menu } from '../../contracts/restaurants.js';

type MenuRecord = typeof Menu.static;

const seed: MenuRecord[] = [
  {
    restaurantId: 'r-ajanta',
    items: [
      { menuItemId: 'chicken-vindaloo', name: 'Chicken Vindaloo', price: 1250 },
      { menuItemId: 'samosa', name: 'Samosa', price: 450 },
      { menuItemId: 'naan', name: 'Naan', price: 300 },
    ],
  },
];

/** Owns the menus and publishes every revision, so other services keep their own copy. */
export default defineService(RestaurantsContract, async ({ messaging }) => {
  const menus = new Map<string, MenuRecord>();
  const revise = async (menu: MenuRecord) => {
    menus.set(menu.restaurantId, menu);
    await messaging.publish(RestaurantsContract, 'menuRevised', menu);
    return menu;
  };
  // Publishing the seed at start is harmless: a revision replaces the replica's row.
  for (const menu of seed) await revise(menu);
  return { reviseMenu: (menu) => revise(menu) };
});
