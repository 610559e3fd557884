ni:///sha-256;Bc71ZO3hm7-_y_XiUCatzfIiOXaPpUbOeHJl5eMZmXw
ni:///sha-256-128;Bc71ZO3hm7-_y_XiUCatzQ
ni:///sha-256-120;Bc71ZO3hm7-_y_XiUCat
