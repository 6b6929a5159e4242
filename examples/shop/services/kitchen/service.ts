import { SwitchyardError } from 'switchyard/errors';
import { createReplica } from 'switchyard/messaging';
import { defineService } from 'switchyard/runtime';
import { KitchenContract, type Ticket } from '../../contracts/kitchen.js';
import { OrdersContract } from '../../contracts/orders.js';
import { RestaurantsContract, type Menu } from '../../contracts/restaurants.js';

type TicketRecord = typeof Ticket.static;

/**
 * Makes a ticket for each created order (consumed from the orders' partitioned event channel, in
 * order per order id), naming dishes from its own replica of the menus instead of asking the
 * restaurants service.
 */
export default defineService(KitchenContract, async ({ messaging }) => {
  const tickets = new Map<string, TicketRecord>();
  const menus = await createReplica<typeof RestaurantsContract, typeof Menu.static>({
    bus: messaging,
    contract: RestaurantsContract,
    apply: { menuRevised: (_current, menu) => menu },
  });
  await messaging.subscribe(OrdersContract, {
    orderCreated: ({ orderId, restaurantId, items }) => {
      const menu = menus.get(restaurantId);
      const nameOf = (id: string) => menu?.items.find((i) => i.menuItemId === id)?.name ?? id;
      tickets.set(orderId, {
        orderId,
        restaurantId,
        lines: items.map((i) => ({
          menuItemId: i.menuItemId,
          name: nameOf(i.menuItemId),
          quantity: i.quantity,
        })),
        createdAt: new Date().toISOString(),
      });
    },
  });
  return {
    getTicket: ({ orderId }) => {
      const ticket = tickets.get(orderId);
      if (!ticket) throw new SwitchyardError('NOT_FOUND', `No ticket for order ${orderId}`);
      return ticket;
    },
  };
});
